import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The hostile-input suite runs on its own (npm run test:hostile): minutes of generated requests.
    exclude: [...configDefaults.exclude, ...(process.env.MEDCOM_HOSTILE === '1' ? [] : ['test/hostile/**'])],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
