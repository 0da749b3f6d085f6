/** Formatting for money, dates and durations, in the fan's locale. */

const moneyFormats = new Map<string, Intl.NumberFormat>();

export function money(cents: number, currency: string): string {
  const key = currency.toUpperCase();
  let f = moneyFormats.get(key);
  if (!f) {
    try {
      f = new Intl.NumberFormat(undefined, { style: 'currency', currency: key });
    } catch {
      // An unknown currency code: show the number and the code.
      return `${(cents / 100).toFixed(2)} ${key}`;
    }
    moneyFormats.set(key, f);
  }
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  return f.format(cents / 10 ** digits);
}

export function priceRange(min: number, max: number, currency: string): string {
  return min === max ? money(min, currency) : `${money(min, currency)} – ${money(max, currency)}`;
}

const dateTime = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

export function showTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateTime.format(d);
}

/** "4:07" for 247 seconds; "1:02:03" past an hour. Negative counts as 0. */
export function clock(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** A rough human wait: "less than a minute", "about 3 minutes", "about 2 hours". */
export function roughDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return 'unknown';
  if (seconds < 60) return 'less than a minute';
  const min = Math.round(seconds / 60);
  if (min < 60) return `about ${min} minute${min === 1 ? '' : 's'}`;
  const h = Math.round(seconds / 360) / 10;
  return `about ${h} hour${h === 1 ? '' : 's'}`;
}

/** Seconds left until an RFC 3339 instant. */
export function secondsUntil(iso: string, now = Date.now()): number {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : (t - now) / 1000;
}
