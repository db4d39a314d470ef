/**
 * Decoding without holding up the event loop. A large message takes the codec tens of milliseconds (a
 * 10 MB hostile one, seconds), and while it runs on the main thread nothing else is answered: not
 * /healthz, not a small valid message. Bodies from `inlineBelowBytes` up go to a pool of worker threads
 * (piscina); smaller ones stay on the main thread, where decoding is cheaper than the hand-over
 * (copying the bytes there and the result back).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { DecodeTask } from './codec-worker.js';
import type { DecodeOptions, DecodeResult, MessageCodec, MessageDecoder } from './decode-message.js';

export interface OffThreadOptions {
  /** Bodies smaller than this are decoded on the calling thread. */
  readonly inlineBelowBytes: number;
  /** Worker threads at most; they start on first use and stop when idle. */
  readonly threads: number;
}

/** The worker module next to this one: compiled JavaScript, or TypeScript run through tsx (tests, tsx). */
function workerModule(): { filename: string; execArgv: string[] } {
  const javascript = fileURLToPath(new URL('./codec-worker.js', import.meta.url));
  if (existsSync(javascript)) return { filename: javascript, execArgv: [] };
  return { filename: fileURLToPath(new URL('./codec-worker.ts', import.meta.url)), execArgv: ['--import', 'tsx'] };
}

/** Every worker is busy and the queue is full: the sender should try again shortly (503, not 500). */
export class CodecBusy extends Error {
  constructor() {
    super('every codec thread is busy and the queue of large messages is full');
  }
}

export class OffThreadCodec implements MessageDecoder {
  private pool: Piscina<DecodeTask, DecodeResult> | undefined;

  constructor(
    private readonly inline: MessageCodec,
    private readonly options: OffThreadOptions,
  ) {}

  async decode(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodeResult> {
    if (bytes.length < this.options.inlineBelowBytes || this.options.threads === 0) return this.inline.decode(bytes, options);
    const pool = this.workers();
    if (pool.queueSize >= pool.options.maxQueue) throw new CodecBusy();
    return pool.run({ bytes, options });
  }

  private workers(): Piscina<DecodeTask, DecodeResult> {
    if (!this.pool) {
      const { filename, execArgv } = workerModule();
      this.pool = new Piscina<DecodeTask, DecodeResult>({
        filename,
        execArgv,
        minThreads: 0,
        maxThreads: this.options.threads,
        // A thread that has decoded nothing for a minute gives its memory back.
        idleTimeout: 60_000,
        // Each waiting task holds its body (up to the body limit): past this many, senders are told to come back.
        maxQueue: this.options.threads * 16,
      });
    }
    return this.pool;
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
    this.pool = undefined;
  }
}
