/**
 * Loading a show's seat map: the small status document first, then the venue layout it
 * names. The layout's URL carries its content hash and the server marks it immutable, so the
 * browser's HTTP cache keeps it across visits; within one page life the decoded layout is
 * kept here too, so going back to a show builds its model without fetching or decoding again.
 */
import type { ApiClient } from '../api/client';
import { decodeLayout, type VenueLayout } from './layoutFormat';
import { SeatMapModel } from './model';

const decoded = new Map<string, Promise<VenueLayout>>();
/** Venues a fan looks at in one visit are few; the stadium's layout is ~2 MB decoded. */
const KEPT_LAYOUTS = 4;

export function layoutAt(api: Pick<ApiClient, 'getLayout'>, url: string): Promise<VenueLayout> {
  let layout = decoded.get(url);
  if (!layout) {
    layout = api.getLayout(url).then(decodeLayout);
    decoded.set(url, layout);
    layout.catch(() => decoded.delete(url));
    while (decoded.size > KEPT_LAYOUTS) decoded.delete(decoded.keys().next().value!);
  }
  return layout;
}

export async function loadSeatMap(api: Pick<ApiClient, 'getMapStatus' | 'getLayout'>, showId: string): Promise<SeatMapModel> {
  const status = await api.getMapStatus(showId);
  return SeatMapModel.fromLayout(await layoutAt(api, status.layout), status);
}
