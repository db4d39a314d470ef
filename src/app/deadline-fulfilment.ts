/**
 * Fulfilling a deadline other than by a MedCom message:
 * - `POST /api/v1/deadlines/{id}/fulfil`: the obliged endpoint, or an operator on its behalf, reports
 *   that the obliged action was done (D7: the first contact), or that a warning was given outside
 *   MedCom (`channel`: phone, secure e-mail, fax, letter, in person), as the agreements allow: "Hvor
 *   dette ikke er muligt, kan anvendes enten telefonisk besked, sikker e-mail eller FAX" (004
 *   L1505–1509), "kontakter kommunen på anden vis" (L634–636);
 * - `POST /api/v1/deadlines/fallback-warnings`: a warning given outside MedCom for which no message
 *   exists starts the deadline that message would have started and fulfils it at once.
 *
 * Every such fulfilment records who recorded it and when, apart from the time it claims; an operator's
 * is also written to the audit log with the reason (the note). A warning given by phone before the
 * message that confirms it may claim a time before that message (up to FALLBACK_LOOKBACK_DAYS); every
 * other fulfilment claims a time at or after its deadline's start, and never in the future.
 */
import { randomUUID } from 'node:crypto';
import { classifyCpr } from '../domain/cpr.js';
import { agreementPartiesOf, evaluateFallbackWarning, fallbackChannelsOf, lookbackStart, type FallbackChannel } from '../domain/deadlines/index.js';
import { isUuid } from '../domain/uuid.js';
import { getDeadline, insertFallbackDeadline, isMessageDeadline, patientRefOfDeadline, recordFulfilment, type DeadlineRecord, type Fulfilment } from '../store/deadline-store.js';
import type { Queryable } from '../store/database.js';
import { insertEvents } from '../store/message-store.js';
import { inTransaction, type GatewayContext } from './context.js';
import { fulfilledEvent, judge, judgeExplicit } from './deadline-tracking.js';
import { recordAudit } from './ops-audit.js';
import { requireReason, type Operator } from './ops-input.js';
import { Refusal } from './refusal.js';

/** How far before its message a warning given outside MedCom may lie (the call came first, the message later). */
export const FALLBACK_LOOKBACK_DAYS = 30;

/** Who records a fulfilment: the obliged endpoint itself, or an operator (named in the audit log). */
export type Recorder = { readonly kind: 'endpoint'; readonly ean: string } | { readonly kind: 'ops'; readonly operator: Operator };

export interface FulfilmentReport {
  /** When it was done (default: now). */
  readonly at?: Date;
  readonly note?: string;
  /** A warning given outside MedCom: how. */
  readonly channel?: FallbackChannel;
}

function recordedBy(recorder: Recorder): string {
  return recorder.kind === 'endpoint' ? recorder.ean : recorder.operator.name;
}

/** An operator's note is the reason the audit log keeps: a few words, not "ok". */
function noteOf(recorder: Recorder, note: string | undefined): string | undefined {
  return recorder.kind === 'ops' ? requireReason(note, '/body/note') : note;
}

function requireChannelAllowed(ctx: GatewayContext, record: DeadlineRecord, channel: FallbackChannel): void {
  const allowed = fallbackChannelsOf(ctx.deadlineRules, record.ruleId);
  if (allowed.includes(channel)) return;
  throw new Refusal(
    422,
    'channel-not-allowed',
    'The agreement does not allow this channel here',
    allowed.length === 0 ? `the agreement allows no channel outside MedCom for ${record.ruleId}` : `the agreement allows ${record.ruleId} outside MedCom by ${allowed.join(', ')}, not ${channel}`,
    [{ path: '/body/channel', message: allowed.length === 0 ? 'no channel is allowed for this rule' : `must be one of ${allowed.join(', ')}` }],
  );
}

function checkClaimedTime(record: DeadlineRecord, at: Date, now: Date, earliest: Date): void {
  if (at.getTime() < earliest.getTime()) {
    const before = earliest.getTime() < record.startedAt.getTime() ? `more than ${FALLBACK_LOOKBACK_DAYS} days before ${record.ruleId} started (${record.startedAt.toISOString()})` : `before ${record.ruleId} started (${record.startedAt.toISOString()}); an action done before the message that asked for it does not fulfil it`;
    throw new Refusal(422, 'fulfilment-before-start', 'The fulfilment time is before the deadline started', `"at" ${at.toISOString()} is ${before}`, [
      { path: '/body/at', message: `must not be before ${earliest.toISOString()}` },
    ]);
  }
  if (at.getTime() > now.getTime()) {
    throw new Refusal(422, 'fulfilment-in-the-future', 'The fulfilment time is in the future', `"at" ${at.toISOString()} is after now (${now.toISOString()}); give the time the obliged action was done`, [
      { path: '/body/at', message: 'must not be in the future' },
    ]);
  }
}

/** The same report again is harmless; another one, once a deadline is fulfilled, is a conflict. */
function isRepeat(record: DeadlineRecord, at: Date, report: FulfilmentReport, note: string | undefined): boolean {
  return record.fulfilledAt?.getTime() === at.getTime() && (record.channel ?? undefined) === report.channel && (record.fulfilmentNote ?? undefined) === note;
}

function alreadyFulfilled(record: DeadlineRecord, why: string): Refusal {
  return new Refusal(409, 'already-fulfilled', 'The deadline is fulfilled already', `${record.ruleId} ${why}; a fulfilment is recorded once`);
}

/**
 * What a report judges: for a warning the message already was (starting-message rules), a warning
 * given outside MedCom before that message, re-judged at its own time; for the others, the report.
 */
function judgedFulfilment(ctx: GatewayContext, record: DeadlineRecord, at: Date): Pick<Fulfilment, 'state' | 'lateBy'> {
  if (record.fulfilKind === 'starting-message') {
    if (record.state === 'on-time') throw alreadyFulfilled(record, `was on time when its message arrived (${record.startedAt.toISOString()})`);
    if (record.state !== 'late') {
      throw new Refusal(409, 'not-judgeable', 'The deadline cannot be judged', `${record.ruleId} is ${record.state}${record.evaluation.reason ? `: ${record.evaluation.reason}` : ''}; there is no limit to judge a warning against`);
    }
    if (at.getTime() >= record.startedAt.getTime()) {
      throw alreadyFulfilled(record, `was judged at its message's arrival (${record.startedAt.toISOString()}); a warning given after it changes nothing`);
    }
    return judge(ctx, record, at);
  }
  return judgeExplicit(ctx, record, at);
}

/** `POST /api/v1/deadlines/{id}/fulfil`. */
export async function fulfilDeadline(ctx: GatewayContext, recorder: Recorder, id: string, report: FulfilmentReport): Promise<DeadlineRecord> {
  const notFound = new Refusal(404, 'not-found', 'Not found', `there is no deadline ${id} visible to you`);
  if (!isUuid(id)) throw notFound;
  const note = noteOf(recorder, report.note);
  return inTransaction(ctx, async (tx) => {
    const now = ctx.clock();
    const record = await getDeadline(tx, id, true);
    if (!record) throw notFound;
    if (recorder.kind === 'endpoint') {
      if (![record.obligedEan, record.senderEan, record.receiverEan].includes(recorder.ean)) throw notFound;
      if (record.obligedEan !== recorder.ean) {
        throw new Refusal(403, 'not-obliged', 'Only the obliged endpoint can fulfil this deadline', `${record.ruleId} obliges ${record.obligedEan}, not ${recorder.ean}`);
      }
    }
    if (report.channel) requireChannelAllowed(ctx, record, report.channel);
    else if (record.fulfilKind !== 'explicit') {
      const channels = fallbackChannelsOf(ctx.deadlineRules, record.ruleId);
      const fallback = channels.length > 0 ? `; a warning given outside MedCom is recorded with a "channel" (${channels.join(', ')})` : '';
      throw new Refusal(409, 'not-explicit', 'This deadline is fulfilled by a message', `${record.ruleId} is fulfilled by ${record.fulfilKind === 'correlated-message' ? `a ${record.fulfilTypes.join('/')} message` : 'the message that started it'}${fallback}`);
    }
    const at = report.at ?? now;
    const earliest = report.channel && record.fulfilKind === 'starting-message' ? lookbackStart(record.startedAt, FALLBACK_LOOKBACK_DAYS) : record.startedAt;
    checkClaimedTime(record, at, now, earliest);
    if (record.fulfilledAt) {
      if (isRepeat(record, at, report, note)) return record;
      throw alreadyFulfilled(record, `was fulfilled at ${record.fulfilledAt.toISOString()}`);
    }
    const fulfilment: Fulfilment = {
      ...judgedFulfilment(ctx, record, at),
      fulfilledAt: at,
      byMessageId: null,
      note: note ?? null,
      recordedBy: recordedBy(recorder),
      ...(report.channel ? { channel: report.channel } : {}),
    };
    await recordFulfilment(tx, record.id, fulfilment, now);
    if (isMessageDeadline(record)) await insertEvents(tx, [fulfilledEvent(record, fulfilment)], now);
    if (recorder.kind === 'ops') {
      await recordAudit(
        tx,
        recorder.operator,
        {
          action: 'deadline-fulfilled',
          messageId: record.messageId,
          patientRef: await patientRefOfDeadline(tx, record.id),
          reason: note ?? null,
          details: { deadlineId: record.id, ruleId: record.ruleId, at: at.toISOString(), ...(report.channel ? { channel: report.channel } : {}), state: fulfilment.state },
        },
        now,
      );
    }
    return (await getDeadline(tx, id)) as DeadlineRecord;
  });
}

export interface FallbackWarningReport {
  readonly rule: string;
  /** The party that gave the warning; an endpoint records its own (default: itself), an operator names it. */
  readonly sender?: string;
  readonly receiver: string;
  /** The patient's CPR number: kept only as the keyed reference, never stored or logged in clear. */
  readonly patient: string;
  readonly episodeId?: string;
  readonly channel: FallbackChannel;
  readonly at?: Date;
  readonly note?: string;
  readonly reference?: { readonly date: string; readonly time?: string };
}

function fieldProblem(status: number, code: string, title: string, detail: string, path: string): Refusal {
  return new Refusal(status, code, title, detail, [{ path, message: detail }]);
}

function senderOf(recorder: Recorder, report: FallbackWarningReport): string {
  if (recorder.kind === 'endpoint') {
    if (report.sender !== undefined && report.sender !== recorder.ean) {
      throw fieldProblem(403, 'not-obliged', 'An endpoint records only its own warnings', `${recorder.ean} cannot record a warning ${report.sender} gave`, '/body/sender');
    }
    return recorder.ean;
  }
  if (report.sender === undefined) throw fieldProblem(400, 'invalid-request', 'Name who gave the warning', 'an operator names the party that gave the warning: "sender" (13-digit EAN)', '/body/sender');
  return report.sender;
}

/** A repeat of a fallback warning on record (same rule, patient, parties, channel and time) is harmless. */
async function findSameFallback(tx: Queryable, d: { ruleId: string; patientRef: string; senderEan: string; receiverEan: string; channel: FallbackChannel; at: Date }): Promise<string | undefined> {
  const { rows } = await tx.query<{ id: string }>(
    `SELECT id FROM deadlines WHERE message_id IS NULL AND rule_id = $1 AND patient_ref = $2 AND sender_ean = $3 AND receiver_ean = $4
       AND fulfilment_channel = $5 AND fulfilled_at = $6 LIMIT 1`,
    [d.ruleId, d.patientRef, d.senderEan, d.receiverEan, d.channel, d.at],
  );
  return rows[0]?.id;
}

/** `POST /api/v1/deadlines/fallback-warnings`: the deadline, and whether it was recorded just now. */
export async function recordFallbackWarning(ctx: GatewayContext, recorder: Recorder, report: FallbackWarningReport): Promise<{ readonly deadline: DeadlineRecord; readonly created: boolean }> {
  const note = noteOf(recorder, report.note);
  const senderEan = senderOf(recorder, report);
  for (const [field, ean] of [['sender', senderEan], ['receiver', report.receiver]] as const) {
    if (!ctx.register.find(ean)) throw fieldProblem(422, 'unknown-endpoint', 'Unknown endpoint', `${ean} is not an endpoint of this gateway`, `/body/${field}`);
  }
  const cpr = report.patient.replace('-', '');
  const verdict = classifyCpr(cpr);
  if (verdict.kind === 'invalid' || verdict.kind === 'unknown-placeholder') {
    throw fieldProblem(422, 'invalid-patient', 'Not a CPR number', verdict.reason ?? 'give the patient\'s CPR number (10 digits)', '/body/patient');
  }
  const now = ctx.clock();
  const at = report.at ?? now;
  if (at.getTime() > now.getTime()) throw fieldProblem(422, 'fulfilment-in-the-future', 'The warning time is in the future', `"at" ${at.toISOString()} is after now (${now.toISOString()})`, '/body/at');
  const parties = agreementPartiesOf(ctx.register, senderEan, report.receiver);
  const evaluated = evaluateFallbackWarning(
    { ruleId: report.rule, senderEan, receiverEan: report.receiver, channel: report.channel, given: at, ...(report.reference ? { reference: report.reference } : {}) },
    parties,
    ctx.deadlineRules,
  );
  if ('refused' in evaluated) {
    const { code, detail, field } = evaluated.refused;
    throw fieldProblem(422, code, 'The warning cannot be recorded', detail, `/body${field}`);
  }
  const { evaluation, rule, lateLimit } = evaluated.tracked;
  const patientRef = ctx.patientRef(cpr);
  return inTransaction(ctx, async (tx) => {
    const same = await findSameFallback(tx, { ruleId: rule.id, patientRef, senderEan, receiverEan: report.receiver, channel: report.channel, at });
    if (same) return { deadline: (await getDeadline(tx, same)) as DeadlineRecord, created: false };
    const id = randomUUID();
    const due = evaluation.dueAt ? new Date(evaluation.dueAt) : null;
    await insertFallbackDeadline(
      tx,
      {
        id,
        ruleId: rule.id,
        title: evaluation.title,
        severity: evaluation.severity,
        state: evaluation.state,
        senderEan,
        receiverEan: report.receiver,
        obligedEan: senderEan,
        patientRef,
        episodeId: report.episodeId ?? null,
        fulfilKind: rule.fulfilledBy.kind,
        fulfilTypes: [],
        lookbackDays: null,
        dueAt: due,
        lateAfter: lateLimit?.instant ?? (evaluation.lateAfter ? new Date(evaluation.lateAfter) : due),
        lateUnit: lateLimit?.unit ?? rule.offset.unit,
        lateDay: lateLimit?.day ?? null,
        breachAt: null,
        fulfilledByMessageId: null,
        fulfilledAt: at,
        lateBy: evaluation.lateBy ?? null,
        evaluation,
        channel: report.channel,
        note: note ?? null,
        recordedBy: recordedBy(recorder),
      },
      now,
    );
    if (recorder.kind === 'ops') {
      await recordAudit(
        tx,
        recorder.operator,
        { action: 'fallback-warning', messageId: null, patientRef, reason: note ?? null, details: { deadlineId: id, ruleId: rule.id, sender: senderEan, receiver: report.receiver, channel: report.channel, at: at.toISOString(), state: evaluation.state } },
        now,
      );
    }
    return { deadline: (await getDeadline(tx, id)) as DeadlineRecord, created: true };
  });
}
