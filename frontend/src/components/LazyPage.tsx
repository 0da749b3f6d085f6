/** A page loaded on first visit (its own chunk), for pages only a few users ever open, such as the gate scanner. */
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ErrorBanner, Loading } from './Feedback';

export function lazyPage(load: () => Promise<ComponentType>): ComponentType {
  let loaded: ComponentType | null = null;
  return function LazyPage() {
    const [Page, setPage] = useState<ComponentType | null>(() => loaded);
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
    return Page ? <Page /> : <Loading />;
  };
}
