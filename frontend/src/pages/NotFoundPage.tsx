import { paths } from '../lib/router';
import { useTitle } from './useTitle';

export function NotFoundPage() {
  useTitle('Not found');
  return (
    <div data-testid="not-found">
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        There is nothing at this address. <a href={paths.shows()}>See all shows</a>
      </p>
    </div>
  );
}
