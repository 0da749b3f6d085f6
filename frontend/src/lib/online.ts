import { useEffect, useState } from 'preact/hooks';

/** Whether the browser says it has a network, kept current by its `online` and `offline` events. */
export function useOnline(): boolean {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const on = () => setOnline(true);
    const off = () => setOnline(false);
    window.addEventListener('online', on);
    window.addEventListener('offline', off);
    // The effect runs after the first paint: a change in between fired an event nobody heard, so read the state again.
    setOnline(navigator.onLine);
    return () => {
      window.removeEventListener('online', on);
      window.removeEventListener('offline', off);
    };
  }, []);
  return online;
}
