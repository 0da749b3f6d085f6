/** The organization's shows: each with its sale's state and the way to its cockpit and its settings. */
import { isMissingRoute, organizerApi } from '../api/organizer';
import { ErrorBanner, InfoBanner, Loading } from '../components/Feedback';
import { showTime } from '../lib/format';
import { paths } from '../lib/router';
import { useTitle } from '../pages/useTitle';
import { SALE_LABEL, saleOf } from './saleState';
import { useLoad } from './useLoad';

export function ShowsListPage() {
  useTitle('Your shows');
  const shows = useLoad(() => organizerApi.listShows());

  return (
    <section aria-labelledby="org-shows-title" data-testid="org-shows">
      <div class="org-heading">
        <h1 id="org-shows-title" tabIndex={-1}>
          Your shows
        </h1>
        <a class="btn btn-primary" href={paths.organizerNewShow()} data-testid="org-new-show">
          New show
        </a>
      </div>
      {shows.loading && !shows.data ? (
        <Loading label="Loading your shows…" />
      ) : shows.failure && isMissingRoute(shows.failure) ? (
        <InfoBanner testid="org-shows-unavailable">
          This server cannot list an organization's shows yet. A show you create opens its sale cockpit at once.
        </InfoBanner>
      ) : shows.error ? (
        <ErrorBanner message={shows.error} onRetry={shows.reload} />
      ) : !shows.data?.items.length ? (
        <div class="card org-empty" data-testid="org-shows-empty">
          <p>No shows yet.</p>
          <p class="muted">
            Import a venue's seating plan under <a href={paths.organizerVenues()}>Venues</a>, then create a show there with a
            price for each seat category.
          </p>
        </div>
      ) : (
        <div class="card org-table-wrap">
          <table class="org-table" data-testid="org-shows-table">
            <caption class="visually-hidden">Your organization's shows, soonest first</caption>
            <thead>
              <tr>
                <th scope="col">Show</th>
                <th scope="col">Starts</th>
                <th scope="col">Venue</th>
                <th scope="col">Sale</th>
                <th scope="col" class="num">
                  Available
                </th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {[...shows.data.items]
                .sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at))
                .map((show) => {
                  const sale = saleOf(show);
                  return (
                    <tr key={show.id} data-testid="org-show-row" data-show-id={show.id}>
                      <th scope="row">
                        <a href={paths.cockpit(show.id)} data-testid="org-show-cockpit">
                          {show.title}
                        </a>
                      </th>
                      <td>{showTime(show.starts_at)}</td>
                      <td>
                        {show.venue.name}, {show.venue.city}
                      </td>
                      <td>
                        <span class={`sale-badge sale-${sale}`}>{SALE_LABEL[sale]}</span>
                      </td>
                      <td class="num">
                        {show.seats.available.toLocaleString()} / {show.seats.total.toLocaleString()}
                      </td>
                      <td class="org-row-actions">
                        <a href={paths.organizerEditShow(show.id)} aria-label={`Edit ${show.title}`}>
                          Edit
                        </a>
                        <a href={paths.show(show.id)} aria-label={`Public page of ${show.title}`}>
                          Public page
                        </a>
                      </td>
                    </tr>
                  );
                })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
