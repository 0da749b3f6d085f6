/**
 * A few promise-returning calls over IndexedDB: the device key and the gate's scans live there, so they survive a
 * reload and a lost network. One database per use, each store keyed by the records' `key` path.
 */

export interface Db {
  get<T>(store: string, key: IDBValidKey): Promise<T | undefined>;
  put(store: string, value: unknown): Promise<void>;
  all<T>(store: string): Promise<T[]>;
}

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export async function openDb(name: string, stores: Record<string, string>, version = 1): Promise<Db> {
  const opening = indexedDB.open(name, version);
  opening.onupgradeneeded = () => {
    for (const [store, keyPath] of Object.entries(stores)) {
      if (!opening.result.objectStoreNames.contains(store)) opening.result.createObjectStore(store, { keyPath });
    }
  };
  const db = await done(opening);
  const tx = (store: string, mode: IDBTransactionMode) => db.transaction(store, mode).objectStore(store);
  return {
    get: <T>(store: string, key: IDBValidKey) => done(tx(store, 'readonly').get(key)) as Promise<T | undefined>,
    put: async (store, value) => {
      await done(tx(store, 'readwrite').put(value));
    },
    all: <T>(store: string) => done(tx(store, 'readonly').getAll()) as Promise<T[]>,
  };
}
