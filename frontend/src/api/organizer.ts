/**
 * The organizer API client (API.md, "Organizers"): the same request function and errors as the fans' client, plus
 * the plan upload, which goes through XMLHttpRequest for its upload progress (fetch reports none). Imported only by
 * the organizer's pages, so it lives in their chunk.
 */
import { ApiError, api as defaultApi, queryString, type ApiClient } from './client';
import type {
  CancelProgress,
  Dashboard,
  OrganizerOrder,
  OrganizerShow,
  OrganizerShowList,
  OrganizerVenueList,
  PlanFormat,
  QueueSettings,
  QueueSettingsIn,
  RefundedOrder,
  RefundRequest,
  SaleAction,
  SaleOut,
  ShowCreate,
  ShowPatch,
  VenueImported,
} from './organizerTypes';
import type { ApiErrorBody } from './types';

const enc = encodeURIComponent;
const BASE = '/api/v1';

export const organizerPaths = {
  dashboardLive: (showId: string) => `/organizer/shows/${enc(showId)}/dashboard/live`,
  ordersCsv: (showId: string) => `${BASE}/organizer/shows/${enc(showId)}/orders.csv`,
  attendeesCsv: (showId: string) => `${BASE}/organizer/shows/${enc(showId)}/attendees.csv`,
  seatingPlan: (venueId: string, format: PlanFormat) => `${BASE}/organizer/venues/${enc(venueId)}/seating-plan${queryString({ format })}`,
};

export function createOrganizerClient(api: Pick<ApiClient, 'request'> = defaultApi) {
  const { request } = api;
  return {
    listVenues: () => request<OrganizerVenueList>('GET', '/organizer/venues'),
    listShows: () => request<OrganizerShowList>('GET', '/organizer/shows'),
    getShow: (showId: string) => request<OrganizerShow>('GET', `/organizer/shows/${enc(showId)}`),
    createShow: (body: ShowCreate) => request<OrganizerShow>('POST', '/organizer/shows', { body }),
    updateShow: (showId: string, body: ShowPatch) => request<OrganizerShow>('PATCH', `/organizer/shows/${enc(showId)}`, { body }),
    setSale: (showId: string, action: SaleAction) => request<SaleOut>('POST', `/organizer/shows/${enc(showId)}/sale`, { body: { action } }),
    setQueue: (showId: string, body: QueueSettingsIn) => request<QueueSettings>('PUT', `/organizer/shows/${enc(showId)}/queue`, { body }),
    dashboard: (showId: string, signal?: AbortSignal) =>
      request<Dashboard>('GET', `/organizer/shows/${enc(showId)}/dashboard`, signal ? { signal } : {}),
    cancelShow: (showId: string, reason: string) => request<CancelProgress>('POST', `/organizer/shows/${enc(showId)}/cancel`, { body: { reason } }),
    cancelProgress: (showId: string) => request<CancelProgress>('GET', `/organizer/shows/${enc(showId)}/cancel`),
    getOrder: (orderId: string) => request<OrganizerOrder>('GET', `/organizer/orders/${enc(orderId)}`),
    refund: (orderId: string, body: RefundRequest, idempotencyKey: string) =>
      request<RefundedOrder>('POST', `/organizer/orders/${enc(orderId)}/refund`, { body, headers: { 'Idempotency-Key': idempotencyKey } }),
  };
}

export type OrganizerClient = ReturnType<typeof createOrganizerClient>;
export const organizerApi = createOrganizerClient();

/**
 * The server has no such route (yet): a 405, or the framework's own 404 (backend/errors.py writes it as `not_found`
 * with Litestar's "Not Found"; every 404 of the app's own names what was not found, such as `order_not_found`).
 */
export function isMissingRoute(e: unknown): boolean {
  if (!(e instanceof ApiError)) return false;
  if (e.status === 405) return true;
  return e.status === 404 && (e.code === 'http_404' || (e.code === 'not_found' && e.detail === 'Not Found'));
}

export interface UploadProgress {
  loaded: number;
  total: number;
}

export interface ImportAnswer {
  venue: VenueImported;
  /** false: 200, this organization imported the same plan before (its venue is the answer). */
  created: boolean;
}

/**
 * POST /organizer/venues with a body already written (see organizer/plan.ts `importBody`), reporting the upload's
 * progress. Errors are the same ApiError as every other call's.
 */
export function uploadVenue(body: string, onProgress: (p: UploadProgress) => void, signal?: AbortSignal): Promise<ImportAnswer> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${BASE}/organizer/venues`);
    xhr.withCredentials = true;
    xhr.setRequestHeader('Content-Type', 'application/json');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (e) => onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : body.length });
    xhr.onerror = () => reject(new ApiError(0, 'network_error', 'Could not reach the server. Check your connection and try again.'));
    xhr.onabort = () => reject(new DOMException('The upload was cancelled.', 'AbortError'));
    xhr.onload = () => {
      let parsed: unknown = null;
      try {
        parsed = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        /* not JSON: handled below */
      }
      if (xhr.status === 200 || xhr.status === 201) {
        if (parsed && typeof parsed === 'object') resolve({ venue: parsed as VenueImported, created: xhr.status === 201 });
        else reject(new ApiError(xhr.status, 'bad_response', 'The server sent an answer we could not read.'));
        return;
      }
      const errorBody = parsed && typeof parsed === 'object' ? (parsed as ApiErrorBody) : null;
      const code = typeof errorBody?.error === 'string' ? errorBody.error : `http_${xhr.status}`;
      const detail =
        (typeof errorBody?.detail === 'string' && errorBody.detail) ||
        (xhr.status === 413 ? 'The file is larger than the server takes (24 MB).' : `The server answered ${xhr.status}.`);
      const retry = Number(xhr.getResponseHeader('retry-after'));
      reject(new ApiError(xhr.status, code, detail, errorBody, Number.isFinite(retry) && retry > 0 ? retry : null));
    };
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}
