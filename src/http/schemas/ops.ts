/** The ops API's requests and answers (see src/app/ops-*.ts). */
import { Type } from '@fastify/type-provider-typebox';
import { DateTime, Ean, List, Nullable, Open, Uuid } from './common.js';
import { MessageView } from './messages.js';

const Counts = Open({ lastHour: Type.Integer(), lastDay: Type.Integer() });

export const Overview = Open(
  {
    generatedAt: DateTime,
    endpoints: List(
      Open({
        ean: Ean,
        name: Nullable(Type.String()),
        kind: Nullable(Type.String()),
        mode: Nullable(Type.String({ description: 'pull or push' })),
        enabled: Type.Boolean(),
        paused: Nullable(Open({ since: DateTime, operator: Type.String(), reason: Type.String() })),
        waiting: Type.Integer(),
        leased: Type.Integer(),
        deliveredNotAnswered: Type.Integer(),
        unacknowledged: Type.Integer(),
        deadLettered: Type.Integer(),
        receiptsOverdue: Type.Integer(),
        oldestWaitingSeconds: Nullable(Type.Integer()),
        lastPolledAt: Nullable(DateTime),
        lastPushedAt: Nullable(DateTime),
        stuck: Type.Boolean({ description: 'A backlog, a dead letter, an unanswered or overdue message, or a pause' }),
      }),
      { description: 'Every endpoint, the stuck ones first' },
    ),
    types: List(
      Open({
        type: Type.String(),
        accepted: Counts,
        duplicates: Counts,
        rejected: Open({ lastHour: Type.Integer(), lastDay: Type.Integer(), byReason: Type.Object({}, { additionalProperties: true }) }),
      }),
    ),
    receiptsOverdue: Type.Integer(),
    deadlineBreaches: Open({ today: Type.Integer(), thisWeek: Type.Integer(), todayFrom: DateTime, weekFrom: DateTime }),
  },
  { description: 'Per endpoint backlogs and activity; per type totals; receipts overdue; deadline breaches' },
);

const text = (description: string) => Type.Optional(Type.String({ description }));
const limit = Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'Page size (1–200)' }));
const cursor = text('The nextCursor of the previous page');

export const SearchQuery = Type.Object(
  {
    cpr: text('The patient\'s CPR number (matched through the keyed patient reference; never stored or logged)'),
    envelopeId: text('Envelope identifier'),
    letterId: text('Letter identifier'),
    id: text('The gateway\'s message id (uuid)'),
    sender: text('Sender EAN'),
    receiver: text('Receiver EAN'),
    type: text('Message type, e.g. XDIS17'),
    status: text('waiting, leased, delivered, acknowledged, rejected, unacknowledged, dead or duplicate'),
    from: text('Received at or after (ISO 8601)'),
    to: text('Received before (ISO 8601)'),
    cursor,
    limit,
  },
  { additionalProperties: false },
);

export const SearchPage = Open(
  {
    items: List(
      Open({
        id: Uuid,
        envelopeId: Type.String(),
        sender: Ean,
        origin: Type.String(),
        receivedAt: DateTime,
        status: Type.String({ description: 'The overall status, following the deliveries' }),
        letters: List(Type.Any()),
        deliveries: List(Type.Any()),
        href: Type.String(),
      }),
    ),
    nextCursor: Type.Optional(Type.String()),
  },
  { description: 'Newest first; `nextCursor` when there is more' },
);

export const OpsMessageDetail = Type.Intersect(
  [
    MessageView,
    Open({
      storedStatus: Type.String(),
      receipts: List(Type.Any()),
      duplicates: Open({ resendOf: List(Type.Any()), resentBy: List(Type.Any()) }),
      deliveries: List(Open({ id: Uuid, receiver: Ean, state: Type.String(), redeliveryOf: Nullable(Uuid) })),
      timeline: List(Open({ at: DateTime, kind: Type.String(), deliveryId: Nullable(Type.String()), source: Type.String({ description: 'gateway or ops' }), detail: Type.Object({}, { additionalProperties: true }) })),
    }),
  ],
  { description: 'The message with deliveries (and their redelivery lineage), receipts, duplicates, deadlines and the timeline in time order, ops actions included' },
);

export const Reason = Type.String({ description: 'Why, in at least three words; written to the audit log' });

export const BodyQuery = Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false });

export const MessageBody = Open(
  {
    messageId: Uuid,
    text: Type.String({ description: 'The message as text, decoded from its original encoding' }),
    encoding: Type.String({ description: 'The encoding of the original bytes: utf-8, iso-8859-1 or windows-1252 (also in the X-Original-Encoding header)' }),
    contentType: Type.String({ description: 'The Content-Type the sender posted it with' }),
    sha256: Type.String(),
    auditId: Type.Integer({ description: 'The audit row this read was written to' }),
  },
  { description: 'The decoded body; the read is in the audit log' },
);

export const AuditQuery = Type.Object(
  {
    from: text('At or after (ISO 8601)'),
    to: text('Before (ISO 8601)'),
    operator: text('The operator\'s name as on their key'),
    cursor,
    limit,
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { description: 'csv: the whole period as text/csv (cursor and limit do not apply)' })),
  },
  { additionalProperties: false },
);

const AuditItem = Open({
  id: Type.Integer(),
  at: DateTime,
  operator: Type.String(),
  keyId: Nullable(Type.String()),
  action: Type.String({ description: 'body-read, redeliver, dead-letter-retry, endpoint-pause, endpoint-resume, …' }),
  messageId: Nullable(Type.String()),
  patientRef: Nullable(Type.String({ description: 'The keyed patient reference, never the CPR number' })),
  reason: Nullable(Type.String()),
  details: Type.Object({}, { additionalProperties: true }),
});

export const AuditPage = Open({ items: List(AuditItem), nextCursor: Type.Optional(Type.String()) }, { description: 'Newest first' });

export const RedeliverBody = Type.Object(
  { receiver: Type.Optional(Ean), reason: Type.Optional(Reason) },
  { additionalProperties: false },
);

export const Redelivered = Open(
  { messageId: Uuid, deliveryId: Uuid, redeliveryOf: Uuid, receiver: Ean, mode: Type.String(), state: Type.String() },
  { description: 'The new delivery, waiting, and the delivery it was made from' },
);

export const DeadLetterQuery = Type.Object(
  { receiver: text('Receiver EAN'), type: text('Message type'), from: text('Dead at or after'), to: text('Dead before'), cursor, limit },
  { additionalProperties: false },
);

export const DeadLetterPage = Open(
  {
    items: List(
      Open({ deliveryId: Uuid, messageId: Uuid, receiver: Ean, receivedAt: DateTime, deadAt: DateTime }),
    ),
    nextCursor: Type.Optional(Type.String()),
  },
  { description: 'The most recently dead first' },
);

export const RetryBody = Type.Object(
  {
    ids: Type.Optional(Type.Array(Type.String(), { description: 'Dead deliveries to retry (1–1000)' })),
    filter: Type.Optional(
      Type.Object(
        { receiver: Type.Optional(Type.String()), type: Type.Optional(Type.String()), from: Type.Optional(Type.String()), to: Type.Optional(Type.String()) },
        { additionalProperties: false, description: 'Or every dead letter matching this, oldest dead first' },
      ),
    ),
    max: Type.Optional(Type.Integer({ description: 'At most this many (default 100, at most 1000)' })),
    reason: Type.Optional(Reason),
  },
  { additionalProperties: false },
);

export const Retried = Open(
  { requeued: List(Open({ deliveryId: Uuid, messageId: Uuid, receiver: Ean, mode: Type.String(), outboxId: Nullable(Type.Integer()) })) },
  { description: 'The deliveries put back in the queue (ids no longer dead are skipped)' },
);

export const EanParams = Type.Object({ ean: Type.String({ description: 'The endpoint\'s EAN' }) }, { additionalProperties: false });

export const ReasonBody = Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false });

export const PauseResult = Open(
  { ean: Ean, paused: Type.Boolean(), changed: Type.Boolean({ description: 'False when it already was in that state (nothing audited)' }) },
  { description: 'The endpoint\'s pause state' },
);

export const EndpointList = Open(
  {
    endpoints: List(
      Open({
        ean: Ean,
        name: Type.String(),
        kind: Type.String(),
        mode: Type.String(),
        enabled: Type.Boolean(),
        paused: Nullable(Open({ since: DateTime, operator: Type.String(), reason: Type.String() })),
        lastPolledAt: Nullable(DateTime),
        lastPushedAt: Nullable(DateTime),
      }),
    ),
  },
  { description: 'The register with each endpoint\'s pause state and last activity' },
);
