/**
 * BullMQ's wrapper around a connection we hand it, except that an error it reports once BullMQ has
 * closed it is dropped instead of thrown. BullMQ's close removes every listener of the wrapper, but a
 * connection whose start never finished (made, or reconnecting, while Redis was away) fails that
 * start later, when the connection is ended, and the wrapper reports it as an 'error' event nobody
 * listens to any more. Node throws such an event's error, there inside a promise chain of BullMQ's:
 * an unhandled rejection. What went wrong before the close still reaches the queue's or the worker's
 * 'error' listeners.
 */
import { RedisConnection } from 'bullmq';

export class QuietWhenClosedConnection extends RedisConnection {
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error' && this.listenerCount('error') === 0) return false;
    return super.emit(event, ...args);
  }
}
