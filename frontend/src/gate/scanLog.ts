/**
 * The gate's memory, in IndexedDB so a reload or a dead network loses nothing: the downloaded bundle of each show,
 * and every scan with its local verdict until the server has judged it (`server`).
 */
import type { GateBundle, ScanOutcome } from '../api/types';
import { openDb, type Db } from '../lib/idb';

export type ScanResult = 'valid' | 'already_scanned' | 'invalid' | 'expired';

export interface ScanRecord {
  scan_id: string;
  show_id: string;
  gate: string;
  code: string;
  scanned_at: string;
  result: ScanResult;
  kind: 'rotating' | 'static' | null;
  ticket_id: string | null;
  seat_label: string | null;
  uploaded: boolean;
  server: ScanOutcome | null;
}

let db: Promise<Db> | null = null;

function gateDb(): Promise<Db> {
  db ??= openDb('showtime-gate', { bundles: 'show_id', scans: 'scan_id' });
  return db;
}

export const scanLog = {
  saveBundle: async (bundle: GateBundle) => (await gateDb()).put('bundles', bundle),
  bundle: async (showId: string) => (await gateDb()).get<GateBundle>('bundles', showId),
  save: async (scan: ScanRecord) => (await gateDb()).put('scans', scan),
  async scans(showId: string): Promise<ScanRecord[]> {
    const all = await (await gateDb()).all<ScanRecord>('scans');
    return all.filter((s) => s.show_id === showId).sort((a, b) => a.scanned_at.localeCompare(b.scanned_at));
  },
};
