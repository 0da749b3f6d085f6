import { defineConfig } from 'vitest/config';

// `npm run bench`: timing report for the seat-map data model (reported, not asserted).
export default defineConfig({
  test: {
    include: ['bench/**/*.bench-report.ts'],
    environment: 'node',
    disableConsoleIntercept: true,
    testTimeout: 120_000,
  },
});
