/**
 * A fixed-row-height virtual list: only the rows in view (plus a few) are in the DOM.
 * Up and Down arrows move focus between rows, scrolling as needed; each row says its
 * place (aria-setsize / aria-posinset) since most rows are not in the DOM.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

interface Props {
  count: number;
  itemHeight: number;
  height: number;
  label: string;
  testid?: string;
  /** Render row i; the returned element must be focusable and carry data-index={i}. */
  renderItem: (i: number) => ComponentChildren;
  /** Bumped by the caller to re-render visible rows after a data change. */
  version?: number;
}

const OVERSCAN = 6;

export function VirtualList({ count, itemHeight, height, label, testid, renderItem }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const pendingFocus = useRef(-1);

  useEffect(() => {
    if (ref.current) ref.current.scrollTop = 0;
    setScrollTop(0);
  }, [count]);

  useEffect(() => {
    const i = pendingFocus.current;
    if (i < 0 || !ref.current) return;
    const el = ref.current.querySelector<HTMLElement>(`[data-index="${i}"]`);
    if (el) {
      pendingFocus.current = -1;
      el.focus();
    }
  });

  const first = Math.max(0, Math.floor(scrollTop / itemHeight) - OVERSCAN);
  const last = Math.min(count, Math.ceil((scrollTop + height) / itemHeight) + OVERSCAN);
  const items = [];
  for (let i = first; i < last; i++) {
    items.push(
      <li key={i} role="listitem" aria-setsize={count} aria-posinset={i + 1} class="vlist-item" style={{ top: `${i * itemHeight}px`, height: `${itemHeight}px` }}>
        {renderItem(i)}
      </li>,
    );
  }

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp' && e.key !== 'Home' && e.key !== 'End') return;
    const current = (e.target as HTMLElement).closest<HTMLElement>('[data-index]');
    if (!current) return;
    const i = Number(current.dataset.index);
    const next = e.key === 'ArrowDown' ? i + 1 : e.key === 'ArrowUp' ? i - 1 : e.key === 'Home' ? 0 : count - 1;
    if (next < 0 || next >= count) return;
    e.preventDefault();
    const el = ref.current!;
    const top = next * itemHeight;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + itemHeight > el.scrollTop + el.clientHeight) el.scrollTop = top + itemHeight - el.clientHeight;
    pendingFocus.current = next;
    setScrollTop(el.scrollTop);
    const rendered = el.querySelector<HTMLElement>(`[data-index="${next}"]`);
    if (rendered) {
      pendingFocus.current = -1;
      rendered.focus();
    }
  };

  return (
    <div
      ref={ref}
      class="vlist"
      style={{ height: `${height}px` }}
      onScroll={(e) => setScrollTop((e.currentTarget as HTMLElement).scrollTop)}
      onKeyDown={onKeyDown}
      data-testid={testid}
    >
      <ul role="list" aria-label={label} class="vlist-inner" style={{ height: `${count * itemHeight}px` }}>
        {items}
      </ul>
    </div>
  );
}
