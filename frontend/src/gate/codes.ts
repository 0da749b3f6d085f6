/**
 * Ticket codes as the gate reads them (the format is documented in backend/tickets/rotating.py and
 * docs/architecture.md): the rotating `TKR1.<cert>.<show sig>.<step>.<device sig>` and the static `TKT1.<payload>.<sig>`.
 * Every signature covers the ASCII text before it, so signing and checking work on plain strings.
 */

export const ROTATING = 'TKR1';
export const STATIC = 'TKT1';
export const STEP_SECONDS = 15;

export type DeviceAlg = 'Ed25519' | 'ES256';

export interface Certificate {
  ticketId: string;
  showId: string;
  seatId: string;
  serial: number;
  seatLabel: string;
  alg: DeviceAlg;
  deviceKey: Uint8Array<ArrayBuffer>;
  notBefore: number;
  notAfter: number;
}

export type ParsedCode =
  | { kind: 'rotating'; cert: Certificate; certSigned: string; showSig: Uint8Array<ArrayBuffer>; step: number; stepSigned: string; deviceSig: Uint8Array<ArrayBuffer> }
  | { kind: 'static'; ticketId: string; showId: string; seatId: string; signed: string; sig: Uint8Array<ArrayBuffer> };

export function b64url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function unb64url(text: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) throw new Error('not base64url');
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function timeStep(ms: number = Date.now()): number {
  return Math.floor(ms / 1000 / STEP_SECONDS);
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

function readJson(b64: string): unknown {
  return JSON.parse(new TextDecoder().decode(unb64url(b64)));
}

/** The parts of a code, or null when it is not shaped like one (signatures are not checked here). */
export function parseCode(raw: string): ParsedCode | null {
  const code = raw.trim();
  if (code.length > 1024) return null;
  const parts = code.split('.');
  try {
    if (parts[0] === ROTATING && parts.length === 5) {
      const [, certB64, showSigB64, stepText, deviceSigB64] = parts as [string, string, string, string, string];
      const f = readJson(certB64);
      if (!Array.isArray(f) || f.length !== 9) return null;
      const [ticketId, showId, seatId, serial, seatLabel, alg, deviceKey, notBefore, notAfter] = f as unknown[];
      if (![ticketId, showId, seatId, serial, notBefore, notAfter].every(isInt)) return null;
      if (typeof seatLabel !== 'string' || (alg !== 'Ed25519' && alg !== 'ES256') || typeof deviceKey !== 'string') return null;
      if (!/^\d{1,12}$/.test(stepText)) return null;
      const certSigned = `${ROTATING}.${certB64}`;
      return {
        kind: 'rotating',
        cert: {
          ticketId: String(ticketId), showId: String(showId), seatId: String(seatId), serial: serial as number, seatLabel,
          alg, deviceKey: unb64url(deviceKey), notBefore: notBefore as number, notAfter: notAfter as number,
        },
        certSigned,
        showSig: unb64url(showSigB64),
        step: Number(stepText),
        stepSigned: `${certSigned}.${showSigB64}.${stepText}`,
        deviceSig: unb64url(deviceSigB64),
      };
    }
    if (parts[0] === STATIC && parts.length === 3) {
      const [, payloadB64, sigB64] = parts as [string, string, string];
      const f = readJson(payloadB64);
      if (!Array.isArray(f) || f.length !== 3 || !f.every(isInt)) return null;
      return {
        kind: 'static', ticketId: String(f[0]), showId: String(f[1]), seatId: String(f[2]),
        signed: `${STATIC}${new TextDecoder().decode(unb64url(payloadB64))}`, sig: unb64url(sigB64),
      };
    }
  } catch {
    return null;
  }
  return null;
}

export function algorithm(alg: DeviceAlg): AlgorithmIdentifier | EcdsaParams {
  return alg === 'Ed25519' ? { name: 'Ed25519' } : { name: 'ECDSA', hash: 'SHA-256' };
}

export function importAlgorithm(alg: DeviceAlg): AlgorithmIdentifier | EcKeyImportParams {
  return alg === 'Ed25519' ? { name: 'Ed25519' } : { name: 'ECDSA', namedCurve: 'P-256' };
}

/** This step's code: the certificate, the step, and the device's signature over both. */
export async function rotatingCode(certificate: string, key: CryptoKey, alg: DeviceAlg, step: number): Promise<string> {
  const signed = `${certificate}.${step}`;
  const sig = await crypto.subtle.sign(algorithm(alg), key, new TextEncoder().encode(signed));
  return `${signed}.${b64url(new Uint8Array(sig))}`;
}
