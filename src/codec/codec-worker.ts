/**
 * The codec in a worker thread (see off-thread-codec.ts): one process-wide codec per thread, schemas
 * compiled once per thread.
 */
import { decodeMessage, type DecodeOptions, type DecodeResult } from './decode-message.js';

export interface DecodeTask {
  readonly bytes: Uint8Array;
  readonly options: DecodeOptions;
}

export default function decodeTask(task: DecodeTask): DecodeResult {
  return decodeMessage(task.bytes, task.options);
}
