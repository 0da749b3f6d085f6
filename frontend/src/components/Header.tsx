import { useState } from 'preact/hooks';
import { errorMessage } from '../api/client';
import { navigate, paths, type Loc, type Route } from '../lib/router';
import { isOrganizer, signOut, useSession } from '../lib/session';

export function Header({ route, loc }: { route: Route; loc: Loc }) {
  const session = useSession();
  const [error, setError] = useState<string | null>(null);
  const here = loc.pathname + loc.search;
  const current = (on: boolean) => (on ? { 'aria-current': 'page' as const } : {});

  const onSignOut = async () => {
    setError(null);
    try {
      await signOut();
      navigate(paths.shows());
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <header class="site-header">
      <div class="container header-inner">
        <a href="/" class="brand" data-testid="nav-home">
          Tickets
        </a>
        <nav aria-label="Main">
          <ul class="nav-list">
            <li>
              <a href={paths.shows()} data-testid="nav-shows" {...current(route.name === 'shows')}>
                Shows
              </a>
            </li>
            <li>
              <a href={paths.tickets()} data-testid="nav-tickets" {...current(route.name === 'tickets')}>
                My tickets
              </a>
            </li>
            {session.status === 'signed_in' && session.profile.role === 'scanner' && (
              <li>
                <a href={paths.scan()} data-testid="nav-scan" {...current(route.name === 'scan')}>
                  Gate scanner
                </a>
              </li>
            )}
            {session.status === 'signed_in' && isOrganizer(session.profile) && (
              <li>
                <a href={paths.organizerShows()} data-testid="nav-organizer" {...current(route.name === 'organizer')}>
                  Organizer
                </a>
              </li>
            )}
            {session.status === 'signed_in' ? (
              <>
                <li class="nav-user" data-testid="nav-user" title={session.profile.email}>
                  {session.profile.name || session.profile.email}
                </li>
                <li>
                  <button type="button" class="btn btn-link nav-button" onClick={onSignOut} data-testid="nav-signout">
                    Sign out
                  </button>
                </li>
              </>
            ) : session.status === 'signed_out' ? (
              <li>
                <a
                  href={route.name === 'signin' || route.name === 'register' ? paths.signin() : paths.signin(here)}
                  data-testid="nav-signin"
                  {...current(route.name === 'signin' || route.name === 'register')}
                >
                  Sign in
                </a>
              </li>
            ) : null}
          </ul>
        </nav>
      </div>
      {error && (
        <div class="container banner banner-error" role="alert">
          {error}
        </div>
      )}
    </header>
  );
}
