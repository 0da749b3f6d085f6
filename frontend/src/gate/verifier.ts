/**
 * The gate's offline check, the same rules in the same order as the server's (backend/tickets/service.py):
 * signatures, show, validity window, device key and signature, revocation, time step. Only the "already scanned" answer is
 * left to the caller, which keeps the seen-set.
 */
import type { GateBundle } from '../api/types';
import { algorithm, importAlgorithm, parseCode, timeStep, unb64url, type ParsedCode } from './codes';
import { soundEd25519Key } from './deviceKeys';

export type OfflineResult = 'valid' | 'invalid' | 'expired';

export interface OfflineVerdict {
  result: OfflineResult;
  kind: 'rotating' | 'static' | null;
  ticketId: string | null;
  seatLabel: string | null;
}

const INVALID: OfflineVerdict = { result: 'invalid', kind: null, ticketId: null, seatLabel: null };

async function holds(key: CryptoKey, alg: AlgorithmIdentifier | EcdsaParams, sig: Uint8Array<ArrayBuffer>, text: string): Promise<boolean> {
  try {
    return await crypto.subtle.verify(alg, key, sig, new TextEncoder().encode(text));
  } catch {
    return false;
  }
}

export class GateVerifier {
  private readonly revoked: Map<string, { minSerial: number; void: boolean }>;

  private constructor(
    readonly bundle: GateBundle,
    private readonly showKey: CryptoKey,
    private readonly staticKey: CryptoKey,
  ) {
    this.revoked = new Map(bundle.revocations.map((r) => [r.ticket_id, { minSerial: r.min_serial, void: r.void ?? false }]));
  }

  /** Rejects where WebCrypto has no Ed25519 (the show's keys are Ed25519). */
  static async create(bundle: GateBundle): Promise<GateVerifier> {
    const load = (use: string) => {
      const key = bundle.keys.find((k) => k.use === use);
      if (!key) throw new Error(`The gate bundle has no ${use} key.`);
      return crypto.subtle.importKey('raw', unb64url(key.public_key), { name: 'Ed25519' }, false, ['verify']);
    };
    return new GateVerifier(bundle, await load('rotating'), await load('static'));
  }

  private revokedSerial(ticketId: string, serial: number): boolean {
    const entry = this.revoked.get(ticketId);
    return entry ? entry.void || serial < entry.minSerial : false;
  }

  async check(raw: string, nowMs: number = Date.now()): Promise<OfflineVerdict> {
    const code: ParsedCode | null = parseCode(raw);
    if (!code) return INVALID;
    if (code.kind === 'static') {
      if (code.showId !== this.bundle.show_id) return INVALID;
      if (!(await holds(this.staticKey, { name: 'Ed25519' }, code.sig, code.signed))) return INVALID;
      if (this.revokedSerial(code.ticketId, 0)) return INVALID;
      return { result: 'valid', kind: 'static', ticketId: code.ticketId, seatLabel: null };
    }
    const { cert } = code;
    if (!(await holds(this.showKey, { name: 'Ed25519' }, code.showSig, code.certSigned))) return INVALID;
    if (cert.showId !== this.bundle.show_id) return INVALID;
    const now = nowMs / 1000;
    if (now < cert.notBefore || now > cert.notAfter) return INVALID;
    // A small-order or non-canonical key would let a forged device signature verify (see deviceKeys.ts).
    if (cert.alg === 'Ed25519' && !soundEd25519Key(cert.deviceKey)) return INVALID;
    let deviceKey: CryptoKey;
    try {
      deviceKey = await crypto.subtle.importKey('raw', cert.deviceKey, importAlgorithm(cert.alg), false, ['verify']);
    } catch {
      return INVALID;
    }
    if (!(await holds(deviceKey, algorithm(cert.alg), code.deviceSig, code.stepSigned))) return INVALID;
    if (this.revokedSerial(cert.ticketId, cert.serial)) return INVALID;
    const verdict = { kind: 'rotating' as const, ticketId: cert.ticketId, seatLabel: cert.seatLabel };
    if (Math.abs(timeStep(nowMs) - code.step) > this.bundle.step_tolerance) return { result: 'expired', ...verdict };
    return { result: 'valid', ...verdict };
  }
}
