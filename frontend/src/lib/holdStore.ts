/**
 * The current hold per show, kept in sessionStorage so a reload (or the trip to the
 * checkout page and back) keeps it. Only the hold id is stored; the hold itself is
 * re-read from GET /api/v1/holds/{id}.
 */
const key = (showId: string) => `hold:${showId}`;

function storage(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null; // storage disabled
  }
}

export function savedHoldId(showId: string): string | null {
  return storage()?.getItem(key(showId)) ?? null;
}

export function saveHoldId(showId: string, holdId: string): void {
  try {
    storage()?.setItem(key(showId), holdId);
  } catch {
    /* quota or disabled: the hold still works for this page view */
  }
}

export function forgetHold(showId: string, holdId?: string): void {
  const s = storage();
  if (!s) return;
  if (holdId === undefined || s.getItem(key(showId)) === holdId) s.removeItem(key(showId));
}
