/**
 * The codec in worker threads answers exactly what it answers on the main thread, for every valid and
 * invalid fixture, and a full queue is a CodecBusy (503), never a crash.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { MessageCodec } from '../../src/codec/decode-message.js';
import { CodecBusy, OffThreadCodec } from '../../src/codec/off-thread-codec.js';
import { fromPackageRoot } from '../../src/package-root.js';

const inline = new MessageCodec();
const offThread = new OffThreadCodec(inline, { inlineBelowBytes: 0, threads: 1 });

afterAll(async () => {
  await offThread.close();
});

describe('OffThreadCodec', () => {
  it('decodes every fixture in a worker exactly as on the main thread', async () => {
    const files = ['valid', 'invalid'].flatMap((dir) => readdirSync(fromPackageRoot('fixtures', dir)).filter((name) => name.endsWith('.xml')).map((name) => fromPackageRoot('fixtures', dir, name)));
    expect(files.length).toBeGreaterThan(30);
    for (const file of files) {
      const bytes = readFileSync(file);
      expect(await offThread.decode(bytes, {}), file).toEqual(inline.decode(bytes, {}));
    }
  });

  it('keeps small bodies on the calling thread', async () => {
    const small = new OffThreadCodec(inline, { inlineBelowBytes: 1024 * 1024, threads: 1 });
    const bytes = readFileSync(fromPackageRoot('fixtures', 'valid', 'XDIS17_discharge_home.xml'));
    expect((await small.decode(bytes)).ok).toBe(true);
    // No pool was ever started: closing has nothing to wait for.
    expect((small as unknown as { pool: unknown }).pool).toBeUndefined();
    await small.close();
  });

  it('says CodecBusy when every thread is busy and the queue is full', async () => {
    const bytes = readFileSync(fromPackageRoot('fixtures', 'valid', 'XDIS18_large_report.xml'));
    const busy = new OffThreadCodec(inline, { inlineBelowBytes: 0, threads: 1 });
    const outcomes = await Promise.allSettled(Array.from({ length: 40 }, () => busy.decode(bytes)));
    await busy.close();
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    for (const o of refused) expect((o).reason).toBeInstanceOf(CodecBusy);
    expect(outcomes.filter((o) => o.status === 'fulfilled').length).toBeGreaterThanOrEqual(16);
  });
});
