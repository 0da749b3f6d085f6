/**
 * The scanner page registers the service worker (worker.ts, built into /sw.js) for its own path only: the
 * fans' pages never get one. Production builds only: the dev server has no sw.js.
 */
import { useEffect, useState } from 'preact/hooks';
import { SCOPE } from './precache';

export type OfflineReadiness = 'unsupported' | 'installing' | 'ready' | 'failed';

export function registerScannerWorker(): Promise<OfflineReadiness> {
  if (!import.meta.env.PROD || typeof navigator === 'undefined' || !('serviceWorker' in navigator)) {
    return Promise.resolve('unsupported');
  }
  return navigator.serviceWorker
    .register('/sw.js', { scope: SCOPE })
    .then((registration) => {
      // Ready once a worker for this scope is active: it has kept every file and the page itself. (A newer
      // build's worker waiting behind it changes nothing: the active one still holds a complete set.)
      if (registration.active) return 'ready' as const;
      const worker = registration.installing ?? registration.waiting;
      if (!worker) return 'failed' as const;
      return new Promise<OfflineReadiness>((resolve) => {
        const settle = () => {
          if (worker.state === 'activated') resolve('ready');
          else if (worker.state === 'redundant') resolve('failed'); // its install failed
        };
        worker.addEventListener('statechange', settle);
        settle();
      });
    })
    .catch((e: unknown) => {
      console.warn('The scanner could not be made to work offline:', e);
      return 'failed' as const;
    });
}

/** Registers on mount; tells whether a reload with no network will still open this page. */
export function useOfflineReadiness(): OfflineReadiness {
  const [state, setState] = useState<OfflineReadiness>('installing');
  useEffect(() => {
    let live = true;
    void registerScannerWorker().then((s) => live && setState(s));
    return () => {
      live = false;
    };
  }, []);
  return state;
}
