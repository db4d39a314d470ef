/**
 * Settings from the environment: defaults, whole numbers read from text, an empty variable as unset,
 * and a bad value refused in one line naming the variable, its value and what it must be.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSettings } from '../../src/config/settings.js';

describe('readSettings', () => {
  it('fills in the defaults', () => {
    // HOST unset stays unset: where the API then listens depends on the demo keys (runtime/configuration.ts).
    expect(readSettings({})).toMatchObject({
      port: 8080,
      host: undefined,
      databaseUrl: undefined,
      dataDir: resolve('./data'),
      redisUrl: 'redis://127.0.0.1:6379',
      configDir: resolve('./config'),
      logLevel: 'info',
      queuePrefix: 'medcom',
      production: false,
      leaseSeconds: 300,
      maxWaitSeconds: 60,
      receiptTimeoutSeconds: 1800,
      receiptMaxReoffers: 2,
      pushMaxAttempts: 20,
      pushBackoffMs: 2000,
      pushTimeoutMs: 15_000,
      maxBodyBytes: 10 * 1024 * 1024,
      rateLimitPerMinute: 6000,
      reconcileIntervalMs: 30_000,
      trustProxy: false,
      codecInlineBelowBytes: 64 * 1024,
    });
  });

  it('reads what is set, and takes an empty variable as unset', () => {
    const settings = readSettings({ PORT: '9090', HOST: '', DATABASE_URL: 'postgres://db/x', MEDCOM_MAX_WAIT_SECONDS: '0', NODE_ENV: 'production', MEDCOM_LEASE_SECONDS: '' });
    expect(settings).toMatchObject({ port: 9090, host: undefined, databaseUrl: 'postgres://db/x', maxWaitSeconds: 0, production: true, leaseSeconds: 300 });
  });

  it.each([
    ['PORT', '70000', 'PORT=70000 is not valid: use a whole number from 0 to 65535'],
    ['PORT', 'eighty', 'PORT=eighty is not valid: use a whole number from 0 to 65535'],
    ['MEDCOM_LEASE_SECONDS', '1.5', 'MEDCOM_LEASE_SECONDS=1.5 is not valid: use a whole number from 1 to 86400'],
    ['MEDCOM_MAX_BODY_BYTES', '10', 'MEDCOM_MAX_BODY_BYTES=10 is not valid: use a whole number from 1024 to 104857600'],
    ['MEDCOM_RECEIPT_MAX_REOFFERS', '-1', 'MEDCOM_RECEIPT_MAX_REOFFERS=-1 is not valid: use a whole number from 0 to 10'],
  ])('refuses %s=%s in one line', (name, value, message) => {
    expect(() => readSettings({ [name]: value })).toThrow(new Error(message));
  });
});
