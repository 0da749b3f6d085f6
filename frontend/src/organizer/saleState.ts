/** The sale's states in words, and which controls each allows (API.md: pause, resume, close). */
import type { OrganizerShow, SaleAction, SaleState } from '../api/organizerTypes';

export const SALE_LABEL: Record<SaleState | 'cancelled', string> = {
  scheduled: 'Scheduled',
  open: 'On sale',
  paused: 'Paused',
  closed: 'Closed',
  cancelled: 'Cancelled',
};

export const SALE_EXPLAINED: Record<SaleState | 'cancelled', string> = {
  scheduled: 'The sale opens by itself at the time set for it.',
  open: 'Fans can hold seats and pay.',
  paused: 'No new holds or waiting-room admissions; seats already held can still be paid. Fans in the waiting room see "paused".',
  closed: 'The sale is over: no new holds or admissions. Seats already held can still be paid.',
  cancelled: 'The show is cancelled: every paid order is being refunded.',
};

/** The sale state to show: a cancelled show is cancelled whatever its sale was. */
export function saleOf(show: Pick<OrganizerShow, 'status' | 'sale'>): SaleState | 'cancelled' {
  return show.status === 'cancelled' ? 'cancelled' : show.sale;
}

/** The actions a state allows: pause and close while scheduled or open, resume (or close) while paused. */
export function allowedActions(state: SaleState | 'cancelled'): SaleAction[] {
  switch (state) {
    case 'scheduled':
    case 'open':
      return ['pause', 'close'];
    case 'paused':
      return ['resume', 'close'];
    default:
      return [];
  }
}
