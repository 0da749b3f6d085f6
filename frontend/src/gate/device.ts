/**
 * This browser's device key: made once with WebCrypto, the private half non-extractable and kept in IndexedDB, so
 * no script (ours included) can copy it off the phone. Ed25519 where WebCrypto has it (Chromium 137+, Firefox 129+,
 * Safari 17+), else ECDSA P-256, which every WebCrypto has.
 */
import { openDb } from '../lib/idb';
import { b64url, importAlgorithm, type DeviceAlg } from './codes';

export interface DeviceKey {
  id: 'device';
  alg: DeviceAlg;
  privateKey: CryptoKey;
  /** base64url of the raw public key, as the server certifies it. */
  publicKey: string;
}

const DB = 'showtime-device';
const STORE = 'keys';

async function generate(alg: DeviceAlg): Promise<DeviceKey> {
  const pair = (await crypto.subtle.generateKey(importAlgorithm(alg) as EcKeyGenParams, false, ['sign', 'verify'])) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return { id: 'device', alg, privateKey: pair.privateKey, publicKey: b64url(raw) };
}

let cached: Promise<DeviceKey> | null = null;

/** The device key, made on first use. Rejects where WebCrypto or IndexedDB is missing (then: the static code). */
export function deviceKey(): Promise<DeviceKey> {
  cached ??= (async () => {
    if (!globalThis.crypto?.subtle || !globalThis.indexedDB) throw new Error('This browser cannot keep a device key.');
    const db = await openDb(DB, { [STORE]: 'id' });
    const stored = await db.get<DeviceKey>(STORE, 'device');
    if (stored) return stored;
    let key: DeviceKey;
    try {
      key = await generate('Ed25519');
    } catch {
      key = await generate('ES256');
    }
    await db.put(STORE, key);
    return key;
  })();
  cached.catch(() => {
    cached = null;
  });
  return cached;
}
