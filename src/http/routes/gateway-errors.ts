/**
 * Turns what the use cases throw into problem+json: a Refusal keeps its status and words; a store that
 * cannot be reached is a 503 with Retry-After, so the sender knows to try again and nothing is lost.
 */
import { Refusal } from '../../app/refusal.js';
import { CodecBusy } from '../../codec/off-thread-codec.js';
import { isUnavailable } from '../../store/database.js';
import { problem, serviceUnavailable } from '../problem.js';

export function asProblem(error: unknown): unknown {
  if (error instanceof Refusal) {
    return problem(error.status, error.slug, error.detail, { title: error.title, ...(error.errors.length > 0 ? { errors: error.errors } : {}) });
  }
  if (error instanceof CodecBusy) return serviceUnavailable('the gateway is busy decoding other large messages; nothing was stored, send the message again', 1);
  if (isUnavailable(error)) return serviceUnavailable('the message store is not reachable; nothing was stored, send the message again', 5);
  return error;
}

/** Runs a handler body, translating refusals and store outages. */
export async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asProblem(error);
  }
}
