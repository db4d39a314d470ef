/**
 * Refusing a hostile message costs time in proportion to its size: an 8 MB flood takes at most ten
 * times as long as a 1 MB one (before, character references grew quadratically: 1/2/4 MB took
 * 0.33/0.89/3.3 s). Compared as ratios of the fastest of a few runs, so a busy machine does not decide.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../src/codec/decode-message.js';
import { fromPackageRoot } from '../../src/package-root.js';

const DISCHARGE = readFileSync(fromPackageRoot('fixtures', 'valid', 'XDIS17_discharge_home.xml'), 'utf8');

function timed(bytes: Buffer): number {
  const start = performance.now();
  const result = decodeMessage(bytes);
  const elapsed = performance.now() - start;
  expect(result.ok).toBe(false);
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/**
 * How many times longer the large body takes than the small one: the median of `runs` interleaved
 * pairs, so a pause of the machine (or a garbage collection of the big strings) lands on both alike.
 */
function ratio(small: Buffer, large: Buffer, runs: number): number {
  const smallTimes: number[] = [];
  const largeTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    smallTimes.push(timed(small));
    largeTimes.push(timed(large));
  }
  return median(largeTimes) / median(smallTimes);
}

const floods: [string, (size: number) => string, number][] = [
  ['character references', (size) => DISCHARGE.replace('Sengeafsnit M3', '&#65;'.repeat(Math.floor(size / 5))), 7],
  ['attributes on the root', (size) => DISCHARGE.replace('<Emessage ', `<Emessage${' a="x"'.repeat(Math.floor(size / 6))} `), 7],
  ['namespace declarations', (size) => DISCHARGE.replace('<Emessage ', `<Emessage${' xmlns:p="urn:x"'.repeat(Math.floor(size / 16))} `), 7],
  ['text ending in a NUL', (size) => DISCHARGE.replace('Sengeafsnit M3', `${'A'.repeat(size)}\u0000`), 7],
  // Seconds per run: one pair is measurement enough, and keeps the test short.
  ['one long text', (size) => DISCHARGE.replace('Sengeafsnit M3', 'A'.repeat(size)), 1],
];

describe('refusal time grows linearly with size', () => {
  for (const [name, flood, runs] of floods) {
    it(`refuses a flood of ${name}: 8 MB takes at most 10 times as long as 1 MB`, () => {
      const small = Buffer.from(flood(1_000_000));
      const large = Buffer.from(flood(8_000_000));
      timed(small); // warm-up: schemas compiled, code optimised
      // Linear work gives about 8; quadratic work 64 every time. A busy machine can push one
      // measurement past 10, hardly three in a row.
      const ratios: number[] = [];
      for (let attempt = 0; attempt < 3 && !ratios.some((r) => r <= 10); attempt++) ratios.push(ratio(small, large, runs));
      expect(Math.min(...ratios), `ratios measured: ${ratios.map((r) => r.toFixed(1)).join(', ')}`).toBeLessThanOrEqual(10);
    });
  }
});
