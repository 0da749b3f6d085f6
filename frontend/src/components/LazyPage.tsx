/** A page loaded on first visit (its own chunk), for pages only a few users ever open: the gate scanner, the organizer's. */
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ErrorBanner, Loading } from './Feedback';

export function lazyPage<P extends object = {}>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let loaded: ComponentType<P> | null = null;
  return function LazyPage(props: P) {
    const [Page, setPage] = useState<ComponentType<P> | null>(() => loaded);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      if (Page) return;
      load()
        .then((component) => {
          loaded = component;
          setPage(() => component);
        })
        .catch(() => setFailed(true));
    }, []);
    if (failed) return <ErrorBanner message="This page could not be loaded. Check your connection and reload." />;
    return Page ? <Page {...props} /> : <Loading />;
  };
}
