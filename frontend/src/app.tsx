/** The shell: header with navigation, the routed page, and focus handling on navigation. */
import { useEffect, useRef } from 'preact/hooks';
import { Header } from './components/Header';
import { lazyPage } from './components/LazyPage';
import { matchRoute, useLocation } from './lib/router';
import { AuthPage } from './pages/AuthPage';
import { CheckoutPage } from './pages/CheckoutPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { OrderPage } from './pages/OrderPage';
import { QueuePage } from './pages/QueuePage';
import { ShowPage } from './pages/ShowPage';
import { ShowsPage } from './pages/ShowsPage';
import { TicketsPage } from './pages/TicketsPage';
import { VerifyEmailPage } from './pages/VerifyEmailPage';

const ScanPage = lazyPage(() => import('./pages/ScanPage').then((m) => m.ScanPage));
// The organizer's pages (venues, shows, the sale cockpit): one chunk of their own, never loaded by fans.
const OrganizerPage = lazyPage(() => import('./organizer/OrganizerApp').then((m) => m.OrganizerApp));

export function App() {
  const loc = useLocation();
  const route = matchRoute(loc.pathname);
  const first = useRef(true);

  // After a client-side navigation, move focus to the new page's heading so screen
  // readers start reading there (the initial load keeps the browser's own behaviour).
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const id = requestAnimationFrame(() => document.querySelector<HTMLElement>('#main h1')?.focus({ preventScroll: true }));
    return () => cancelAnimationFrame(id);
  }, [loc.pathname]);

  let page;
  switch (route.name) {
    case 'shows':
      page = <ShowsPage loc={loc} />;
      break;
    case 'show':
      page = <ShowPage key={route.showId} showId={route.showId} />;
      break;
    case 'queue':
      page = <QueuePage key={route.showId} showId={route.showId} />;
      break;
    case 'checkout':
      page = <CheckoutPage key={route.showId} showId={route.showId} />;
      break;
    case 'order':
      page = <OrderPage key={route.orderId} orderId={route.orderId} />;
      break;
    case 'tickets':
      page = <TicketsPage />;
      break;
    case 'scan':
      page = <ScanPage />;
      break;
    case 'signin':
      page = <AuthPage key="signin" mode="signin" />;
      break;
    case 'register':
      page = <AuthPage key="register" mode="register" />;
      break;
    case 'verify-email':
      page = <VerifyEmailPage search={loc.search} />;
      break;
    case 'organizer':
      page = <OrganizerPage view={route.view} loc={loc} />;
      break;
    default:
      page = <NotFoundPage />;
  }

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <Header route={route} loc={loc} />
      <main id="main" class="container" tabIndex={-1}>
        {page}
      </main>
      <footer class="site-footer container muted small">Payments are processed by Stripe. We never see your card number.</footer>
    </>
  );
}
