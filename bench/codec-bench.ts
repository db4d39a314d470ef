/**
 * `npm run bench:codec`: decode + parse + validate throughput of the codec on one core, for a small
 * advis (~1.5 KB) and a large discharge report (~200 KB), and the resident memory afterwards.
 * One process is one core; the machine's core count is printed so figures can be compared.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { decodeMessage } from '../src/codec/decode-message.js';
import { fromPackageRoot } from '../src/package-root.js';

const SECONDS_PER_CASE = Number(process.env.BENCH_SECONDS ?? 3);

interface Case {
  readonly name: string;
  readonly file: string;
}

const CASES: Case[] = [
  { name: 'small advis (XDIS17)', file: 'fixtures/valid/XDIS17_discharge_home.xml' },
  { name: 'large report (XDIS18)', file: 'fixtures/valid/XDIS18_large_report.xml' },
];

function run(bytes: Buffer, seconds: number): { count: number; elapsed: number } {
  const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  let count = 0;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 50; i++) {
      const result = decodeMessage(bytes);
      if (!result.ok) throw new Error(`benchmark input is invalid: ${JSON.stringify(result.errors[0])}`);
    }
    count += 50;
    now = process.hrtime.bigint();
  }
  return { count, elapsed: Number(now - start) / 1e9 };
}

console.log(`codec benchmark on ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.version}; one core used`);
for (const benchCase of CASES) {
  const bytes = readFileSync(fromPackageRoot(benchCase.file));
  run(bytes, 0.5); // warm-up: JIT and schema compilation
  globalThis.gc?.();
  const { count, elapsed } = run(bytes, SECONDS_PER_CASE);
  const perSecond = count / elapsed;
  console.log(
    `${benchCase.name.padEnd(24)} ${(bytes.length / 1024).toFixed(1).padStart(7)} KB  ${perSecond.toFixed(0).padStart(8)} msg/s/core  ${((perSecond * bytes.length) / 1e6).toFixed(1).padStart(6)} MB/s  ${((elapsed / count) * 1e6).toFixed(1)} µs/msg`,
  );
}
globalThis.gc?.();
const memory = process.memoryUsage();
console.log(`resident memory ${(memory.rss / 1048576).toFixed(0)} MB (heap used ${(memory.heapUsed / 1048576).toFixed(0)} MB)`);
