import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The hostile-input suite (npm run test:hostile), the fault suite (npm run test:faults) and the soak
    // (npm run soak) run on their own: minutes each, with processes and servers of their own.
    exclude: [
      ...configDefaults.exclude,
      ...(process.env.MEDCOM_HOSTILE === '1' ? [] : ['test/hostile/**']),
      ...(process.env.MEDCOM_FAULTS === '1' ? [] : ['test/faults/**']),
      ...(process.env.MEDCOM_SOAK === '1' ? [] : ['test/soak/**']),
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
