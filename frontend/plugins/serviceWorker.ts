/**
 * Builds the gate scanner's service worker (src/offline/worker.ts) into dist/sw.js, with the list of this build's
 * hashed files written into it: a few lines of Vite plugin instead of a third-party one.
 *
 * It runs after the app's bundle is complete (index.html included), lists the files the page may load
 * (precache.ts `precacheFiles`, plus what public/ copies to the root), derives a version from their bytes, and
 * bundles the worker on its own (one classic script: a worker cannot share the app's module chunks) with that
 * manifest defined as __SW_MANIFEST__. A build whose files did not change gives a byte-identical sw.js, so browsers
 * see no update; any change gives a new sw.js and a new cache name.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { build, type Plugin, type ResolvedConfig } from 'vite';
import { precacheFiles, SHELL, type PrecacheManifest } from '../src/offline/precache';

const WORKER_FILE = 'sw.js';

function publicFiles(dir: string, prefix = ''): string[] {
  let entries;
  try {
    entries = readdirSync(path.join(dir, prefix), { withFileTypes: true });
  } catch {
    return []; // no public/ folder
  }
  return entries.flatMap((e) => (e.isDirectory() ? publicFiles(dir, `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function bundleWorker(root: string, entry: string, manifest: PrecacheManifest): Promise<string> {
  const output = await build({
    configFile: false,
    root,
    logLevel: 'warn',
    publicDir: false,
    define: { __SW_MANIFEST__: JSON.stringify(manifest) },
    build: {
      write: false,
      emptyOutDir: false,
      copyPublicDir: false,
      target: 'es2020',
      minify: true,
      lib: { entry, formats: ['iife'], name: 'showtimeScanner', fileName: () => WORKER_FILE },
    },
  });
  const outputs = Array.isArray(output) ? output : [output];
  for (const out of outputs) {
    if (!('output' in out)) continue;
    const chunk = out.output.find((item) => item.type === 'chunk' && item.isEntry);
    if (chunk && chunk.type === 'chunk') return chunk.code;
  }
  throw new Error('the service worker build produced no script');
}

export function scannerServiceWorker(entry = 'src/offline/worker.ts'): Plugin {
  let config: ResolvedConfig;
  return {
    name: 'showtime:scanner-service-worker',
    apply: 'build',
    enforce: 'post',
    configResolved(resolved) {
      config = resolved;
    },
    async generateBundle(_options, bundle) {
      const contents = new Map<string, string | Uint8Array>();
      for (const [name, item] of Object.entries(bundle)) contents.set(name, item.type === 'chunk' ? item.code : item.source);
      if (config.publicDir) {
        for (const name of publicFiles(config.publicDir)) contents.set(name, readFileSync(path.join(config.publicDir, name)));
      }
      const index = contents.get('index.html');
      if (index === undefined) this.error('index.html is not in the bundle: the scanner page cannot be kept offline');
      const assets = precacheFiles(contents.keys());
      const version = createHash('sha256');
      for (const name of ['index.html', ...assets.map((p) => p.slice(1))]) version.update(`${name}\0`).update(contents.get(name)!);
      const manifest: PrecacheManifest = {
        version: version.digest('hex').slice(0, 16),
        shell: SHELL,
        shellSha256: sha256(index),
        assets,
      };
      const code = await bundleWorker(config.root, path.resolve(config.root, entry), manifest);
      this.emitFile({ type: 'asset', fileName: WORKER_FILE, source: code });
    },
  };
}
