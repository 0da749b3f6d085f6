// `npm run size` (after `npm run build`): the initial JavaScript that index.html loads
// (entry script + modulepreloaded chunks), gzipped. Budget: 150 KB, reported not asserted.
// Lazy chunks (the QR code library) and Stripe's own script are not part of it.
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist', import.meta.url));
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const initial = [...html.matchAll(/<(?:script[^>]+src|link[^>]+rel="modulepreload"[^>]+href)="\/([^"]+\.js)"/g)].map((m) => m[1]);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
let total = 0;
console.log('\nInitial JavaScript (gzip -9):');
for (const file of initial) {
  const buf = readFileSync(join(dist, file));
  const gz = gzipSync(buf, { level: 9 }).length;
  total += gz;
  console.log(`  ${file}  ${kb(buf.length)} raw, ${kb(gz)} gzipped`);
}
console.log(`  total ${kb(total)} gzipped (budget 150 KB: ${total <= 150 * 1024 ? 'within' : 'OVER'})`);
const lazy = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.js') && !initial.includes(`assets/${f}`));
for (const f of lazy) console.log(`  lazy: assets/${f}  ${kb(gzipSync(readFileSync(join(dist, 'assets', f)), { level: 9 }).length)} gzipped`);
