/// <reference types="vitest/config" />
import { defineConfig, type PluginOption } from 'vite';
import preact from '@preact/preset-vite';
import { scannerServiceWorker } from './plugins/serviceWorker';

// The API server (Litestar) listens on 127.0.0.1:8000 in development. The proxy keeps the
// SPA and the API on one origin, as in production, so the session cookie (SameSite=Lax) and
// the server's same-origin check for unsafe requests behave exactly as they will when the
// server serves the built bundle itself. `changeOrigin` stays false for that reason.
const API_TARGET = process.env.API_TARGET ?? 'http://127.0.0.1:8000';
const proxy = {
  '/api': { target: API_TARGET, ws: true, changeOrigin: false },
  '/healthz': { target: API_TARGET, changeOrigin: false },
};

export default defineConfig(() => {
  // The scanner's service worker (dist/sw.js) is built last, from the finished bundle's list of files.
  const plugins: PluginOption[] = [preact(), scannerServiceWorker()];
  return {
    plugins,
    server: { proxy },
    preview: { proxy },
    build: {
      outDir: 'dist',
      emptyOutDir: true,
      target: 'es2020',
      // Every browser we support has <link rel=modulepreload>; the polyfill is dead weight.
      modulePreload: { polyfill: false },
    },
    test: {
      include: ['test/**/*.test.{ts,tsx}'],
      environment: 'node',
    },
  };
});
