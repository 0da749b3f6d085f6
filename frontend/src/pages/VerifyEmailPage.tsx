/**
 * Where the verification mail's link leads (/verify-email?token=...): the token goes to POST
 * /api/v1/auth/verify-email, which confirms the address it was mailed to; no session is needed.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage } from '../api/client';
import { ErrorBanner, Loading } from '../components/Feedback';
import { paths } from '../lib/router';
import { session } from '../lib/session';
import { useTitle } from './useTitle';

type State = { kind: 'checking' } | { kind: 'verified'; email: string } | { kind: 'failed'; message: string };

export function VerifyEmailPage({ search }: { search: string }) {
  useTitle('Verify your e-mail address');
  const token = new URLSearchParams(search).get('token') ?? '';
  const [state, setState] = useState<State>(
    token ? { kind: 'checking' } : { kind: 'failed', message: 'This link carries no verification token.' },
  );

  useEffect(() => {
    if (!token) return;
    let cancelled = false;
    api.verifyEmail(token).then(
      (profile) => {
        if (cancelled) return;
        const now = session.get();
        // The signed-in fan is the one verified: the rest of the app (the draw panel) sees it at once.
        if (now.status === 'signed_in' && now.profile.profile_id === profile.profile_id) {
          session.set({ status: 'signed_in', profile: { ...now.profile, email_verified: true } });
        }
        setState({ kind: 'verified', email: profile.email });
      },
      (e: unknown) => !cancelled && setState({ kind: 'failed', message: errorMessage(e) }),
    );
    return () => {
      cancelled = true;
    };
  }, [token]);

  return (
    <div data-testid="verify-email-page" data-state={state.kind}>
      <h1 tabIndex={-1}>Verify your e-mail address</h1>
      {state.kind === 'checking' && <Loading label="Checking the link…" />}
      {state.kind === 'verified' && (
        <p role="status">
          Thank you: {state.email} is verified. When you join a waiting room before a sale opens, you are in its draw.{' '}
          <a href={paths.shows()}>See all shows</a>
        </p>
      )}
      {state.kind === 'failed' && <ErrorBanner message={state.message} />}
    </div>
  );
}
