/** Loads something for a page: its data, or the error in words, and a way to load it again. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage } from '../api/client';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  /** The thrown value itself, to branch on its code. */
  failure: unknown;
  loading: boolean;
  reload: () => void;
  setData: (data: T) => void;
}

export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[] = []): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; failure: unknown; loading: boolean }>({ data: null, failure: null, loading: true });
  const [attempt, setAttempt] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const mine = ++latest.current;
    setState((s) => ({ ...s, loading: true, failure: null }));
    load().then(
      (data) => mine === latest.current && setState({ data, failure: null, loading: false }),
      (failure: unknown) => mine === latest.current && setState((s) => ({ ...s, failure, loading: false })),
    );
  }, [...deps, attempt]);
  const reload = useCallback(() => setAttempt((a) => a + 1), []);
  const setData = useCallback((data: T) => setState({ data, failure: null, loading: false }), []);
  return { ...state, error: state.failure === null ? null : errorMessage(state.failure), reload, setData };
}
