/**
 * The organizer's pages under /organizer (a chunk of their own, loaded on first visit): who may see them, the
 * section's navigation, and which page a path shows. Every page talks to API.md's "Organizers" routes, which answer
 * 401 / 403 `not_organizer` themselves; this shell only says so before a first request fails.
 */
import { InfoBanner, Loading } from '../components/Feedback';
import { paths, type Loc, type OrganizerView } from '../lib/router';
import { isOrganizer, useSession } from '../lib/session';
import { CockpitPage } from './CockpitPage';
import { ShowFormPage } from './ShowFormPage';
import { ShowsListPage } from './ShowsListPage';
import { VenuesPage } from './VenuesPage';
import './organizer.css';

export function OrganizerApp({ view, loc }: { view: OrganizerView; loc: Loc }) {
  const session = useSession();
  const here = loc.pathname + loc.search;

  if (session.status === 'loading') return <Loading />;
  if (session.status === 'signed_out') {
    return (
      <div class="org-page" data-testid="organizer-signin">
        <h1 tabIndex={-1}>Organizer</h1>
        <InfoBanner testid="signin-prompt">
          <a href={paths.signin(here)}>Sign in</a> with your organizer account to run your venues, shows and sales.
        </InfoBanner>
      </div>
    );
  }
  if (!isOrganizer(session.profile)) {
    return (
      <div class="org-page" data-testid="organizer-forbidden">
        <h1 tabIndex={-1}>Organizer</h1>
        <div class="banner banner-warn" role="alert">
          <p>
            These pages are for an organization's staff. Your account ({session.profile.email}) is not an organizer account;
            an operator makes one with <code>just create-organizer</code>.
          </p>
        </div>
      </div>
    );
  }

  const current = (on: boolean) => (on ? { 'aria-current': 'page' as const } : {});
  const onShows = view.page !== 'venues';
  return (
    <div class="org-page" data-testid="organizer-app">
      <nav class="org-nav" aria-label="Organizer">
        <a href={paths.organizerShows()} data-testid="org-nav-shows" {...current(onShows)}>
          Shows
        </a>
        <a href={paths.organizerVenues()} data-testid="org-nav-venues" {...current(view.page === 'venues')}>
          Venues
        </a>
      </nav>
      {page(view, loc)}
    </div>
  );
}

function page(view: OrganizerView, loc: Loc) {
  switch (view.page) {
    case 'shows':
      return <ShowsListPage />;
    case 'venues':
      return <VenuesPage />;
    case 'show-new':
      return <ShowFormPage key="new" showId={null} venueId={new URLSearchParams(loc.search).get('venue')} />;
    case 'show-edit':
      return <ShowFormPage key={view.showId} showId={view.showId} venueId={null} />;
    case 'cockpit':
      return <CockpitPage key={view.showId} showId={view.showId} />;
  }
}
