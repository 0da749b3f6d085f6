import { describe, expect, it } from 'vitest';
import type { GateBundle } from '../src/api/types';
import { b64url, parseCode, rotatingCode, STEP_SECONDS, timeStep, type DeviceAlg } from '../src/gate/codes';
import { decodePoint, soundEd25519Key } from '../src/gate/deviceKeys';
import { GateVerifier } from '../src/gate/verifier';
import { fromHex, nonCanonical, SMALL_ORDER_HEX, universalSignature } from './smallOrder';

// The server's side, done here with the same WebCrypto: a show key signs a device certificate.
const encoder = new TextEncoder();

async function keyPair(alg: DeviceAlg): Promise<CryptoKeyPair> {
  const params = alg === 'Ed25519' ? { name: 'Ed25519' } : { name: 'ECDSA', namedCurve: 'P-256' };
  return (await crypto.subtle.generateKey(params, false, ['sign', 'verify'])) as CryptoKeyPair;
}

async function raw(key: CryptoKey): Promise<string> {
  return b64url(new Uint8Array(await crypto.subtle.exportKey('raw', key)));
}

async function certificate(show: CryptoKeyPair, fields: unknown[]): Promise<string> {
  const body = `TKR1.${b64url(encoder.encode(JSON.stringify(fields)))}`;
  const sig = await crypto.subtle.sign({ name: 'Ed25519' }, show.privateKey, encoder.encode(body));
  return `${body}.${b64url(new Uint8Array(sig))}`;
}

describe('offline gate checks', async () => {
  const show = await keyPair('Ed25519');
  const stranger = await keyPair('Ed25519');
  const now = Date.now();
  const seconds = Math.floor(now / 1000);
  const showKey = await raw(show.publicKey);
  const staticKey = await raw(stranger.publicKey);
  const bundle = (revocations: GateBundle['revocations'] = []): GateBundle => ({
    show_id: '7', title: 'Hamlet', starts_at: '2026-12-11T19:30:00Z', venue: { name: 'Lyric Theatre', city: 'London' },
    step_seconds: STEP_SECONDS, step_tolerance: 1, generated_at: new Date(now).toISOString(), revocations,
    keys: [
      { kid: 'show-7', use: 'rotating', alg: 'Ed25519', public_key: showKey },
      { kid: 'static', use: 'static', alg: 'Ed25519', public_key: staticKey },
    ],
  });

  for (const alg of ['Ed25519', 'ES256'] as const) {
    it(`accepts a ${alg} device's code now and calls it expired two steps later`, async () => {
      const device = await keyPair(alg);
      const cert = await certificate(show, [41, 7, 3, 1, 'Stalls A-3', alg, await raw(device.publicKey), seconds - 60, seconds + 3600]);
      const code = await rotatingCode(cert, device.privateKey, alg, timeStep(now));
      const verifier = await GateVerifier.create(bundle());
      expect(await verifier.check(code, now)).toEqual({ result: 'valid', kind: 'rotating', ticketId: '41', seatLabel: 'Stalls A-3' });
      expect((await verifier.check(code, now + STEP_SECONDS * 1000)).result).toBe('valid');
      expect((await verifier.check(code, now + 2 * STEP_SECONDS * 1000)).result).toBe('expired');
    });
  }

  it('refuses forged, foreign, wrongly signed and revoked codes', async () => {
    const device = await keyPair('Ed25519');
    const other = await keyPair('Ed25519');
    const fields = [41, 7, 3, 1, 'Stalls A-3', 'Ed25519', await raw(device.publicKey), seconds - 60, seconds + 3600];
    const step = timeStep(now);
    const forged = await certificate(stranger, fields);
    const foreign = await certificate(show, [41, 8, 3, 1, 'Stalls A-3', 'Ed25519', await raw(device.publicKey), seconds - 60, seconds + 3600]);
    const genuine = await certificate(show, fields);
    const verifier = await GateVerifier.create(bundle([{ ticket_id: '41', min_serial: 2, void: false }]));
    const fresh = await GateVerifier.create(bundle());
    expect((await fresh.check(await rotatingCode(forged, device.privateKey, 'Ed25519', step), now)).result).toBe('invalid');
    expect((await fresh.check(await rotatingCode(foreign, device.privateKey, 'Ed25519', step), now)).result).toBe('invalid');
    expect((await fresh.check(await rotatingCode(genuine, other.privateKey, 'Ed25519', step), now)).result).toBe('invalid');
    expect((await fresh.check(await rotatingCode(genuine, device.privateKey, 'Ed25519', step), now)).result).toBe('valid');
    expect((await verifier.check(await rotatingCode(genuine, device.privateKey, 'Ed25519', step), now)).result).toBe('invalid');
    expect((await fresh.check('TKR1.garbage', now)).result).toBe('invalid');
  });

  it('refuses a refunded ticket: every code of a ticket the bundle marks void', async () => {
    const device = await keyPair('Ed25519');
    const cert = await certificate(show, [41, 7, 3, 1, 'Stalls A-3', 'Ed25519', await raw(device.publicKey), seconds - 60, seconds + 3600]);
    const code = await rotatingCode(cert, device.privateKey, 'Ed25519', timeStep(now));
    const payload = encoder.encode(JSON.stringify([42, 7, 4]));
    const staticSig = await crypto.subtle.sign({ name: 'Ed25519' }, stranger.privateKey, new Uint8Array([...encoder.encode('TKT1'), ...payload]));
    const staticCode = `TKT1.${b64url(payload)}.${b64url(new Uint8Array(staticSig))}`;
    const paid = await GateVerifier.create(bundle([{ ticket_id: '41', min_serial: 1, void: false }, { ticket_id: '42', min_serial: 0, void: false }]));
    expect((await paid.check(code, now)).result).toBe('valid');
    expect(await paid.check(staticCode, now)).toEqual({ result: 'valid', kind: 'static', ticketId: '42', seatLabel: null });
    // The same bundle after the refunds: both tickets void, whatever serial their codes carry.
    const refunded = await GateVerifier.create(bundle([{ ticket_id: '41', min_serial: 1, void: true }, { ticket_id: '42', min_serial: 0, void: true }]));
    expect((await refunded.check(code, now)).result).toBe('invalid');
    expect((await refunded.check(staticCode, now)).result).toBe('invalid');
  });

  it('refuses a certificate for any of the eight small-order device keys, though WebCrypto accepts their forged signatures', async () => {
    const verifier = await GateVerifier.create(bundle());
    for (const hex of SMALL_ORDER_HEX) {
      const key = fromHex(hex);
      expect(soundEd25519Key(key)).toBe(false);
      const cert = await certificate(show, [41, 7, 3, 1, 'Stalls A-3', 'Ed25519', b64url(key), seconds - 60, seconds + 3600]);
      const signed = `${cert}.${timeStep(now)}`;
      const forged = await universalSignature(decodePoint(key)!, encoder.encode(signed));
      const imported = await crypto.subtle.importKey('raw', key, { name: 'Ed25519' }, false, ['verify']);
      expect(await crypto.subtle.verify({ name: 'Ed25519' }, imported, forged, encoder.encode(signed))).toBe(true);
      expect(await verifier.check(`${signed}.${b64url(forged)}`, now), hex).toEqual({ result: 'invalid', kind: null, ticketId: null, seatLabel: null });
    }
  });

  it('refuses non-canonical device key encodings and trusts real keys', async () => {
    const encodings = nonCanonical();
    expect(encodings).toHaveLength(40);
    for (const key of encodings) expect(soundEd25519Key(key)).toBe(false);
    for (let i = 0; i < 20; i++) {
      const device = await keyPair('Ed25519');
      expect(soundEd25519Key(new Uint8Array(await crypto.subtle.exportKey('raw', device.publicKey)))).toBe(true);
    }
  });

  it('parses what it can and nothing else', () => {
    expect(parseCode('hello')).toBeNull();
    expect(parseCode('TKT1.e30.AAAA')).toBeNull();
    expect(parseCode(`TKR1.${'A'.repeat(2000)}.a.1.b`)).toBeNull();
  });
});
