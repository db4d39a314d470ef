/** The receiver's inbox as the API answers it (see src/app/inbox.ts). */
import { Type } from '@fastify/type-provider-typebox';
import { DeadlineSummary } from './deadlines.js';
import { DateTime, Ean, List, Nullable, Open, Uuid } from './common.js';

export const MAX_LEASE_LIMIT = 100;

export function leaseQuery(maxWaitSeconds: number) {
  return Type.Object(
    {
      limit: Type.Integer({ minimum: 1, maximum: MAX_LEASE_LIMIT, default: 10, description: 'How many messages to lease at most' }),
      wait: Type.Integer({ minimum: 0, maximum: maxWaitSeconds, default: 0, description: 'Seconds to wait for a message when none waits (long-poll)' }),
      include: Type.Optional(
        Type.Literal('body', {
          description: '`body`: each item carries its original bytes (base64) and counts as fetched, as if `GET /api/v1/inbox/{id}` had been called — one request instead of one per message',
        }),
      ),
    },
    { additionalProperties: false },
  );
}

export const InboxItem = Open({
  id: Uuid,
  messageId: Uuid,
  envelopeId: Type.String(),
  sender: Ean,
  role: Type.Union([Type.Literal('receiver'), Type.Literal('cc')]),
  letters: List(Open({ letterId: Type.String(), type: Type.String() })),
  contentType: Type.String(),
  sha256: Type.String(),
  receivedAt: DateTime,
  leaseUntil: Nullable(DateTime),
  offers: Type.Integer(),
  ackRequested: Type.Boolean(),
  deadlines: List(DeadlineSummary, { description: 'The deadlines this delivery\'s letters started or fulfilled, as evaluated at acceptance' }),
  href: Type.String({ description: 'GET it for the original bytes' }),
  body: Type.Optional(Type.String({ contentEncoding: 'base64', description: 'With `include=body`: the original bytes, base64' })),
  bodyPrunedAt: Type.Optional(Type.String({ format: 'date-time', description: 'With `include=body`, instead of `body`: when the retention policy removed the bytes' })),
});

export const Lease = Open({
  items: List(InboxItem),
  leaseSeconds: Type.Integer({ description: 'How long the items stay leased to you before they are offered again' }),
}, { description: 'The leased messages (none when nothing arrived within `wait`)' });

/** The JSON form of an answer; a MedCom XCTL03/XCTL02 as application/xml is the other. */
export const JsonAnswer = Type.Object(
  {
    status: Type.Union([Type.Literal('positive'), Type.Literal('negative')], { description: 'positive: received and read; negative: refused (give refuseCode)' }),
    refuseCode: Type.Optional(Type.String({ description: 'Why a negative receipt refuses the message: one of MedCom\'s refuse codes (e.g. syntaksfejl)' })),
    text: Type.Optional(Type.String({ maxLength: 350, description: 'A free text for a negative receipt; no control characters' })),
  },
  { additionalProperties: false, description: 'The answer as JSON; the gateway writes the MedCom receipt' },
);

export const MAX_ANSWERS = 100;

export const BatchAnswers = Type.Object(
  {
    answers: Type.Array(
      Type.Object(
        {
          id: Uuid,
          status: Type.Union([Type.Literal('positive'), Type.Literal('negative')]),
          refuseCode: Type.Optional(Type.String()),
          text: Type.Optional(Type.String({ maxLength: 350 })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_ANSWERS, description: `Up to ${MAX_ANSWERS} answers, each as on \`/inbox/{id}/receipt\` with the item's id` },
    ),
  },
  { additionalProperties: false },
);

export const BatchAnswered = Open({
  results: List(
    Type.Union([
      Open({ ok: Type.Literal(true), deliveryId: Uuid, messageId: Uuid, receipt: Type.String(), receiptMessageId: Uuid, repeated: Type.Boolean() }),
      Open({
        ok: Type.Literal(false),
        deliveryId: Type.String(),
        status: Type.Integer({ description: 'The status `/inbox/{id}/receipt` would have answered' }),
        code: Type.String({ description: 'The problem type\'s last segment, e.g. not-found, receipt-conflict' }),
        detail: Type.String(),
      }),
    ]),
    { description: 'One result per answer, in the order sent' },
  ),
}, { description: 'Each answer judged on its own: the refused ones are listed with their reason, the others are recorded' });

/** A MedCom XCTL03 (positive) or XCTL02 (negative) receipt, sent as the original bytes. */
export const XmlReceipt = Type.Unsafe<Buffer>({ description: 'A MedCom XCTL03 or XCTL02 for this message, as its original bytes (judged by the codec, not by a JSON schema)' });

export const Answered = Open({
  deliveryId: Uuid,
  messageId: Uuid,
  receipt: Type.Union([Type.Literal('positive'), Type.Literal('negative'), Type.Literal('negative-vans')]),
  receiptMessageId: Uuid,
  repeated: Type.Boolean({ description: 'true when the same answer was given before (harmless)' }),
}, { description: 'The answer is recorded and its receipt is on its way to the original sender' });
