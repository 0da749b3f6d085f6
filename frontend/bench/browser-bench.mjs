// `npm run bench:browser`: serves bench/browser/ with Vite and reads the timings that
// the page writes, using headless Chromium (CHROMIUM=/path overrides the binary).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const chromium = process.env.CHROMIUM ?? 'chromium';

const server = await createServer({ root, logLevel: 'error', server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false } });
await server.listen();
const address = server.httpServer.address();
const url = `http://127.0.0.1:${address.port}/bench/browser/index.html`;

// A first load lets Vite pre-bundle and transform the modules, so the timed load is warm.
async function run() {
  const args = ['--headless=new', '--no-sandbox', '--js-flags=--expose-gc', '--disable-dev-shm-usage', '--hide-scrollbars', '--window-size=1280,900', '--virtual-time-budget=60000', '--dump-dom', url];
  return new Promise((resolve, reject) => {
    const child = spawn(chromium, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let dom = '';
    child.stdout.on('data', (d) => (dom += d));
    child.on('error', reject);
    child.on('close', () => resolve(dom));
  });
}

try {
  await run();
  const dom = await run();
  const m = /<pre id="results"[^>]*>([\s\S]*?)<\/pre>/.exec(dom);
  if (!m || !m[1].includes('JSON')) {
    console.error('The bench page did not finish. Output:\n', dom.slice(0, 2000));
    process.exitCode = 1;
  } else {
    const text = m[1].replace(/&quot;/g, '"').replace(/&amp;/g, '&');
    console.log(`\nSeat map paint bench (headless Chromium, 1200×800 canvas, DPR 1)\n${'-'.repeat(60)}\n${text}\n`);
  }
} finally {
  await server.close();
}
