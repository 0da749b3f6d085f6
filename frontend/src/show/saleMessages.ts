/**
 * What a fan reads when the organizer has stopped the sale (API.md, "Organizers"): new holds and waiting-room
 * admissions answer 409 `sale_paused`, `sale_closed` or `show_cancelled`. Seats already held may still be paid.
 */
export const SALE_REFUSALS = {
  sale_paused:
    'The organizer has paused the sale for a moment, so no new seats can be held right now. Seats you already hold stay yours and can still be paid. Please try again shortly.',
  sale_closed: 'The sale for this show has closed: no more seats can be held. Seats you already hold can still be paid.',
  show_cancelled: 'This show has been cancelled, so no seats can be held. Every paid order is refunded automatically.',
} as const;

export type SaleRefusal = keyof typeof SALE_REFUSALS;

/** The message for a refusal code, or null when the code is not one of these. */
export function saleRefusal(code: string): string | null {
  return Object.prototype.hasOwnProperty.call(SALE_REFUSALS, code) ? SALE_REFUSALS[code as SaleRefusal] : null;
}
