/**
 * Names shared by everything that touches the gateway's queues: the queue names, how a job id is
 * derived from its outbox row, the custom backoff's name and the pub/sub channel of an inbox.
 * Every Redis key and channel lives under `settings.queuePrefix`, so two gateways can share one Redis.
 */
import type { OutboxKind } from '../store/outbox.js';

export const QUEUE_NAMES = {
  /** Deliveries to push endpoints, retried with backoff and dead-lettered after the last attempt. */
  push: 'push',
  /** Delayed work: the receipt watchdog and deadline breach timers. */
  timers: 'timers',
} as const;

export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];

/** The queue an outbox entry's job belongs on. */
export function queueNameOf(kind: OutboxKind): QueueName {
  switch (kind) {
    case 'push':
      return QUEUE_NAMES.push;
    case 'receipt-watchdog':
    case 'deadline-breach':
      return QUEUE_NAMES.timers;
  }
}

/** The name jobs of an outbox kind carry (shown by queue tools; the timer worker branches on the outbox row's kind). */
export function jobNameOf(kind: OutboxKind): string {
  return kind;
}

const JOB_ID_PREFIX = 'outbox-';

/**
 * A job's id is derived from its outbox row, so adding the same entry twice (the dispatcher after
 * the commit and the reconciler, or two reconcilers) makes one job.
 */
export function jobIdOf(outboxId: number): string {
  return `${JOB_ID_PREFIX}${outboxId}`;
}

/** The outbox id a job id was derived from, or undefined for a job id of another shape. */
export function outboxIdOf(jobId: string | undefined): number | undefined {
  if (!jobId?.startsWith(JOB_ID_PREFIX)) return undefined;
  const id = Number(jobId.slice(JOB_ID_PREFIX.length));
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

/** The name of the push queue's custom backoff strategy (see push-backoff.ts). */
export const PUSH_BACKOFF_TYPE = 'medcom-push';

/** The pub/sub channel announcing that an endpoint's pull inbox has something new. */
export function inboxChannel(prefix: string, ean: string): string {
  return `${prefix}:inbox:${ean}`;
}

/** The pattern matching every inbox channel of this prefix (glob characters in the prefix escaped). */
export function inboxChannelPattern(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}:inbox:*`;
}

/** The EAN an inbox channel of this prefix is for, or undefined for any other channel. */
export function eanOfInboxChannel(prefix: string, channel: string): string | undefined {
  const head = `${prefix}:inbox:`;
  return channel.startsWith(head) && channel.length > head.length ? channel.slice(head.length) : undefined;
}
