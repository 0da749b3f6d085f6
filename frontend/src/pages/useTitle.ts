import { useEffect } from 'preact/hooks';

const SITE = 'Tickets';

/** Sets the document title (screen readers announce it on navigation). */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · ${SITE}` : SITE;
  }, [title]);
}
