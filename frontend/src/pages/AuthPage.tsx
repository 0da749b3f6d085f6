/** Sign in and register, each its own route; both return to `?next=` afterwards. */
import { useState } from 'preact/hooks';
import { errorMessage, isApiError } from '../api/client';
import { navigate, paths, safeNext } from '../lib/router';
import { register, signIn } from '../lib/session';
import { useTitle } from './useTitle';

function nextParam(): string | undefined {
  const n = new URLSearchParams(window.location.search).get('next');
  return n ? safeNext(n) : undefined;
}

export function AuthPage({ mode }: { mode: 'signin' | 'register' }) {
  useTitle(mode === 'signin' ? 'Sign in' : 'Create an account');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = nextParam();
  const p = mode === 'signin' ? 'signin' : 'register';

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === 'signin') await signIn(email.trim(), password);
      else await register(name.trim(), email.trim(), password);
      navigate(safeNext(next), { replace: true });
    } catch (err) {
      if (isApiError(err) && err.code === 'invalid_credentials') setError('That email and password do not match an account.');
      else if (isApiError(err) && err.code === 'email_taken') setError('An account with this email already exists. Sign in instead?');
      else setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <div class="auth-page">
      <h1 tabIndex={-1}>{mode === 'signin' ? 'Sign in' : 'Create an account'}</h1>
      <form class="card form auth-form" onSubmit={submit} data-testid={`${p}-form`}>
        {error && (
          <div class="banner banner-error" role="alert" data-testid={`${p}-error`}>
            <p>{error}</p>
          </div>
        )}
        {mode === 'register' && (
          <label class="field">
            <span>Name</span>
            <input
              type="text"
              name="name"
              autoComplete="name"
              required
              value={name}
              onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)}
              data-testid="register-name"
            />
          </label>
        )}
        <label class="field">
          <span>Email</span>
          <input
            type="email"
            name="email"
            autoComplete="email"
            required
            value={email}
            onInput={(e) => setEmail((e.currentTarget as HTMLInputElement).value)}
            data-testid={`${p}-email`}
          />
        </label>
        <label class="field">
          <span>Password</span>
          <input
            type="password"
            name="password"
            autoComplete={mode === 'signin' ? 'current-password' : 'new-password'}
            required
            value={password}
            onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)}
            aria-describedby={mode === 'register' ? 'password-help' : undefined}
            data-testid={`${p}-password`}
          />
          {mode === 'register' && (
            <small id="password-help" class="muted">
              Choose a long password you do not use elsewhere.
            </small>
          )}
        </label>
        <button type="submit" class="btn btn-primary btn-block" disabled={busy} data-testid={`${p}-submit`}>
          {busy ? 'Please wait…' : mode === 'signin' ? 'Sign in' : 'Create account'}
        </button>
        <p class="small">
          {mode === 'signin' ? (
            <>
              New here? <a href={paths.register(next)} data-testid="to-register">Create an account</a>
            </>
          ) : (
            <>
              Already have an account? <a href={paths.signin(next)} data-testid="to-signin">Sign in</a>
            </>
          )}
        </p>
      </form>
    </div>
  );
}
