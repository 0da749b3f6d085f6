/**
 * A visible countdown to an RFC 3339 instant. Ticks every second; screen readers hear
 * it only at a few milestones (5, 2 and 1 minute, 30 seconds), not every tick.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { clock, secondsUntil } from '../lib/format';

const MILESTONES = [300, 120, 60, 30];

export function Countdown({ until, label, testid, onExpire }: { until: string; label: string; testid: string; onExpire?: () => void }) {
  const [left, setLeft] = useState(() => secondsUntil(until));
  const [spoken, setSpoken] = useState('');
  const expired = useRef(false);
  const lastMilestone = useRef(Infinity);

  useEffect(() => {
    expired.current = false;
    lastMilestone.current = Infinity;
    let first = true;
    const tick = () => {
      const s = secondsUntil(until);
      setLeft(s);
      // The smallest milestone already reached; announce each one once, but not those
      // already behind us when the countdown appeared.
      const reached = MILESTONES.filter((m) => s <= m);
      const m = reached.length ? reached[reached.length - 1]! : Infinity;
      if (m < lastMilestone.current) {
        if (!first && s > 0) setSpoken(m >= 60 ? `${m / 60} minute${m === 60 ? '' : 's'} left.` : `${m} seconds left.`);
        lastMilestone.current = m;
      }
      first = false;
      if (s <= 0 && !expired.current) {
        expired.current = true;
        onExpire?.();
      }
    };
    tick();
    const id = setInterval(tick, 1000);
    return () => clearInterval(id);
  }, [until]);

  const secs = Math.max(0, Math.ceil(left));
  const urgency = secs <= 60 ? 'urgent' : secs <= 120 ? 'soon' : '';
  return (
    <div class={`countdown ${urgency}`} data-testid={testid} data-seconds-left={secs}>
      <span class="countdown-label">{label}</span>{' '}
      <span class="countdown-time" role="timer" aria-label={`${Math.floor(secs / 60)} minutes ${secs % 60} seconds`}>
        {clock(secs)}
      </span>
      <span class="visually-hidden" aria-live="polite">
        {spoken}
      </span>
    </div>
  );
}
