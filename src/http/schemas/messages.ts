/** Messages as the API answers them (see src/app/accept-message.ts and src/app/message-view.ts). */
import { Type } from '@fastify/type-provider-typebox';
import { DeadlineSummary, DeadlineView } from './deadlines.js';
import { DateTime, Ean, List, Nullable, Open, Uuid } from './common.js';

const Warning = Open({ path: Type.String(), message: Type.String(), code: Type.Optional(Type.String()) });

const Warnings = List(Warning, {
  description:
    'What the sender should know: copies not delivered (no such endpoint, type not taken, no consent) and rules of the health agreement broken but accepted by the agreement profile; `code` names the rule.',
});

/** The 202 (accepted) and 200 (a repeat: duplicate=true) of `POST /api/v1/messages`. */
export const Accepted = Open({
  id: Uuid,
  envelopeId: Type.String(),
  status: Type.Union([Type.Literal('accepted'), Type.Literal('duplicate')]),
  duplicate: Type.Boolean(),
  resendId: Type.Optional(Type.String({ description: 'For a resend in a new envelope: the id the resend itself was stored under' })),
  letters: List(
    Open({
      letterId: Type.String(),
      type: Type.String(),
      receiver: Ean,
      copies: List(Ean),
      duplicateOf: Type.Optional(Type.String()),
    }),
  ),
  deadlines: List(DeadlineSummary),
  warnings: Warnings,
}, { description: 'The message as stored: its id (also in Location), its letters and receivers, the deadlines they start or fulfil, warnings' });

/** `GET /api/v1/messages/{id}?timelineLimit&timelineAfter`: which page of the timeline to show. */
export const MessageViewQuery = Type.Object(
  {
    timelineLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100, description: 'Timeline entries per page' })),
    timelineAfter: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: 'The previous page\'s `timelineNext`' })),
  },
  { additionalProperties: false },
);

/** `GET /api/v1/messages/{id}`: status per receiver, receipts and the timeline. */
export const MessageView = Open({
  id: Uuid,
  envelopeId: Type.String(),
  sender: Ean,
  origin: Type.String({ description: 'endpoint (posted by an endpoint) or gateway (a receipt the gateway wrote)' }),
  status: Type.String(),
  sha256: Type.String(),
  contentType: Type.String(),
  encoding: Type.String(),
  receivedAt: DateTime,
  ackRequested: Type.Boolean(),
  letters: List(
    Open({
      index: Type.Integer(),
      letterId: Type.String(),
      type: Type.String(),
      versionCode: Type.String(),
      statusCode: Type.Optional(Type.String()),
      receiverEan: Ean,
      copies: List(Ean),
      duplicateOf: Type.Optional(Type.String()),
      answers: Type.Optional(Open({ originalEnvelopeId: Type.Optional(Type.String()), kind: Type.String() })),
    }),
  ),
  warnings: Warnings,
  deliveries: List(
    Open({
      id: Uuid,
      receiver: Ean,
      role: Type.String(),
      mode: Type.String(),
      state: Type.String(),
      offers: Type.Integer(),
      reoffers: Type.Integer(),
      pushAttempts: Type.Integer(),
      deliveredAt: Nullable(DateTime),
      receiptDueAt: Nullable(DateTime),
      receipt: Nullable(Open({ kind: Type.String(), refuseCode: Type.Optional(Type.String()), messageId: Nullable(Type.String()) })),
    }),
  ),
  timeline: List(
    Open({
      at: DateTime,
      kind: Type.String(),
      deliveryId: Nullable(Type.String()),
      detail: Type.Object({}, { additionalProperties: true }),
      count: Type.Integer({ minimum: 1, description: 'How many times this identical event happened (a fetch or receipt repeated); repeats are counted, not listed' }),
      lastAt: Nullable(DateTime, { description: 'When it last happened, when it happened more than once' }),
    }),
    { description: 'One page of the timeline, oldest first (`timelineLimit` entries, by default 100)' },
  ),
  timelineNext: Nullable(Type.String(), { description: 'Pass as `timelineAfter` to read the next page of the timeline; null on the last page' }),
  deadlines: List(DeadlineView, { description: 'The deadlines the letters started, in their current state' }),
  fulfilledDeadlines: List(DeadlineSummary, { description: 'The deadlines the letters fulfilled, as at acceptance' }),
}, { description: 'The message, each delivery\'s state and receipt, its timeline and deadlines' });
