// @vitest-environment jsdom
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { useOnline } from '../src/lib/online';

function Badge() {
  return <span data-online={String(useOnline())} />;
}

function setNavigatorOnline(value: boolean): void {
  Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => value });
}

function badge(root: HTMLElement): string | null {
  return root.querySelector('span')!.getAttribute('data-online');
}

describe('useOnline', () => {
  const root = document.createElement('div');
  afterEach(() => {
    act(() => render(null, root));
    setNavigatorOnline(true);
  });

  it('follows the online and offline events', () => {
    setNavigatorOnline(true);
    act(() => render(<Badge />, root));
    expect(badge(root)).toBe('true');
    act(() => {
      setNavigatorOnline(false);
      window.dispatchEvent(new Event('offline'));
    });
    expect(badge(root)).toBe('false');
    act(() => {
      setNavigatorOnline(true);
      window.dispatchEvent(new Event('online'));
    });
    expect(badge(root)).toBe('true');
  });

  it('sees a network lost between the first paint and its listeners', async () => {
    setNavigatorOnline(true);
    await act(async () => {
      render(<Badge />, root);
      // Painted as online; the effect that listens has not run yet, so this event reaches nobody.
      setNavigatorOnline(false);
      window.dispatchEvent(new Event('offline'));
    });
    expect(badge(root)).toBe('false');
  });
});
