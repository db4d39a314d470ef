/**
 * The health agreements' deadlines through the whole gateway, on real PostgreSQL and Redis (issue 4):
 * judged at acceptance and reported in the 202, the inbox item and the message view; correlated
 * (D10 plan ↔ discharge advice, D17 request ↔ answer); explicit fulfilment (D7); the breach timer
 * with an injected clock, through the timer worker, after a restart and a Redis flush; the operations
 * list, the compliance report (JSON and CSV) and "would this be on time?" without storing anything.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptMessage } from '../../src/app/accept-message.js';
import { runDeadlineBreach } from '../../src/app/deadline-tracking.js';
import { fromPackageRoot } from '../../src/package-root.js';
import type { DeadlineSummary } from '../../src/store/records.js';
import {
  HOSPITAL,
  HOSPITAL_2,
  MUNICIPALITY,
  MUNICIPALITY_2,
  fetchItems,
  fixture,
  leaseInbox,
  renumber,
  startTestGateway,
  statingAgreedFirstContact,
  viewMessage,
  type TestGateway,
} from '../support/gateway.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';

const PATIENT_A = '1507381236';
const PATIENT_B = '0101501234';
const PATIENT_C = '1103601234';

let counter = 0;
function ids(): { envelope: string; letter: string } {
  counter += 1;
  return { envelope: `DLE${String(counter).padStart(5, '0')}`, letter: `DLL${String(counter).padStart(5, '0')}` };
}

/** The clock last set: a plan states the first-contact date the agreement gives from then. */
let lastClock = new Date(0);

function setClock(gw: TestGateway, iso: string): void {
  lastClock = new Date(iso);
  gw.clock.advance(new Date(iso).getTime() - gw.clock.now().getTime());
}

function extension(...children: string[]): string {
  return `<Local_Elements><gw:Gateway xmlns:gw="urn:medcom-gateway:extension:1">${children.join('')}</gw:Gateway></Local_Elements>`;
}

function withExtension(text: string, ext: string | undefined): string {
  return ext ? text.replace('</Emessage>', `${ext}</Emessage>`) : text;
}

/** A warning of discharge (XDIS19) from HOSPITAL_2 to MUNICIPALITY_2 with the given dates and extension. */
function warning(opts: { planned: string; endOfTreatment?: string; ext?: string }): Buffer {
  let text = fixture('XDIS19_gateway_extension.xml').toString('utf8');
  text = text.replace(/<Local_Elements>[\s\S]*<\/Local_Elements>/, '');
  text = text.replace(/(<PlannedDischarge>\s*<Date>)[^<]*/, `$1${opts.planned}`);
  if (opts.endOfTreatment) text = text.replace(/(<EndOfTreatment>\s*<Date>)[^<]*/, `$1${opts.endOfTreatment}`);
  return renumber(Buffer.from(withExtension(text, opts.ext), 'utf8'), ids());
}

/** A discharge advice (XDIS17) from HOSPITAL_2 to MUNICIPALITY_2. */
function dischargeAdvice(opts: { patient: string; discharge: string; time?: string; retraining: boolean }): Buffer {
  let text = fixture('XDIS17_discharge_home.xml').toString('utf8');
  text = text.replace(/(<Sender>\s*<EANIdentifier>)[^<]*/, `$1${HOSPITAL_2}`).replace(/(<AnswerTo>\s*<EANIdentifier>)[^<]*/, `$1${HOSPITAL_2}`);
  text = text.replace(/(<Receiver>\s*<EANIdentifier>)[^<]*/, `$1${MUNICIPALITY_2}`);
  text = text.replace(/(<CivilRegistrationNumber>)[^<]*/, `$1${opts.patient}`);
  text = text.replace(/(<Discharge>\s*<Date>)[^<]*(<\/Date>\s*<Time>)[^<]*/, `$1${opts.discharge}$2${opts.time ?? '10:00'}`);
  return renumber(Buffer.from(withExtension(text, opts.retraining ? extension('<gw:RetrainingExpected>true</gw:RetrainingExpected>') : undefined), 'utf8'), ids());
}

/** A retraining plan (GGOP, ordinary) from HOSPITAL_2 to MUNICIPALITY_2 with a GP copy. */
function plan(patient: string): Buffer {
  const text = fixture('GGOP_rehabilitation_plan.xml').toString('utf8').replace(/(<m0:CivilRegistrationNumber>)[^<]*/, `$1${patient}`);
  return renumber(statingAgreedFirstContact(Buffer.from(text, 'utf8'), lastClock), ids());
}

/** A correspondence (XDIS91) between HOSPITAL and MUNICIPALITY about PATIENT_B, either way. */
function correspondence(from: string, to: string, ext?: string): Buffer {
  let text = fixture('XDIS91_clinical_email.xml').toString('utf8');
  text = text.replace(/(<Sender>\s*<EANIdentifier>)[^<]*/, `$1${from}`).replace(/(<Receiver>\s*<EANIdentifier>)[^<]*/, `$1${to}`);
  return renumber(Buffer.from(withExtension(text, ext), 'utf8'), ids());
}

interface Accepted {
  id: string;
  deadlines: DeadlineSummary[];
  warnings: { path: string; message: string }[];
}

async function accept(gw: TestGateway, sender: string, body: Buffer): Promise<Accepted> {
  const response = await gw.post(sender, body);
  expect(response.statusCode, response.body).toBe(202);
  return response.json<Accepted>();
}

function one(deadlines: readonly DeadlineSummary[], ruleId: string, effect: 'started' | 'fulfilled' = 'started'): DeadlineSummary {
  const found = deadlines.filter((d) => d.ruleId === ruleId && d.effect === effect);
  expect(found, JSON.stringify(deadlines)).toHaveLength(1);
  return found[0] as DeadlineSummary;
}

async function deadlineJson(gw: TestGateway, who: string, id: string): Promise<Record<string, unknown>> {
  const response = await gw.get(who, `/api/v1/deadlines/${id}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Record<string, unknown>>();
}

async function count(gw: TestGateway, table: string): Promise<number> {
  const { rows } = await gw.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return Number(rows[0]?.n ?? 0);
}

async function breachTimerOf(gw: TestGateway, deadlineId: string): Promise<{ id: number; dueAt: Date; doneAt: Date | null }> {
  const { rows } = await gw.db.query<{ id: number; due_at: Date; done_at: Date | null }>(
    "SELECT id, due_at, done_at FROM outbox WHERE deadline_id = $1 AND kind = 'deadline-breach'",
    [deadlineId],
  );
  expect(rows).toHaveLength(1);
  const row = rows[0] as { id: number; due_at: Date; done_at: Date | null };
  return { id: Number(row.id), dueAt: new Date(row.due_at), doneAt: row.done_at };
}

function fulfil(gw: TestGateway, who: string, id: string, body: unknown) {
  return gw.request({
    method: 'POST',
    url: `/api/v1/deadlines/${id}/fulfil`,
    headers: { authorization: `Bearer demo-${who}`, 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
}

function ops(gw: TestGateway, url: string, headers: Record<string, string> = {}) {
  return gw.request({ method: 'GET', url, headers: { authorization: 'Bearer demo-ops', ...headers } });
}

describe('deadlines at acceptance, correlated, fulfilled and breached (no workers: the test drives the timers)', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({ workers: false });
  });

  afterAll(async () => {
    await gw?.close();
  });

  it('a warning 3 weekdays ahead is on time; the 202, the inbox item and the message view carry it', async () => {
    // Discharge Friday 2026-03-20: D2's limit is the end of Tuesday 2026-03-17.
    setClock(gw, '2026-03-17T22:59:59.999Z');
    const accepted = await accept(gw, HOSPITAL_2, warning({ planned: '2026-03-20', ext: extension('<gw:WarningCategory>REDUCED_CARE</gw:WarningCategory>') }));
    const d2 = one(accepted.deadlines, 'D2');
    expect(d2).toMatchObject({ state: 'on-time', dueAt: '2026-03-17T22:59:59.999Z', obligedEan: HOSPITAL_2, reference: '2026-03-20', letterId: expect.any(String) });
    expect(accepted.deadlines).toHaveLength(1);

    const items = await leaseInbox(gw, MUNICIPALITY_2, '?limit=100');
    await fetchItems(gw, MUNICIPALITY_2, items);
    const item = items.find((i) => i.messageId === accepted.id) as unknown as { deadlines: DeadlineSummary[] };
    expect(item.deadlines).toEqual(accepted.deadlines);
    const view = (await viewMessage(gw, HOSPITAL_2, accepted.id)) as unknown as { deadlines: { id: string; ruleId: string; state: string }[] };
    expect(view.deadlines).toEqual([expect.objectContaining({ id: d2.id, ruleId: 'D2', state: 'on-time' })]);
    expect(await deadlineJson(gw, MUNICIPALITY_2, d2.id)).toMatchObject({ state: 'on-time', obliged: HOSPITAL_2, fulfilledBy: { kind: 'starting-message' } });
  });

  it('a warning is judged when the gateway took it, not when the municipality fetched it ("Varsling senest 3 hverdage før udskrivning", 004 L1526–1532)', async () => {
    // Discharge Friday 2026-08-21: D2's limit is the end of Tuesday 2026-08-18 (21:59:59.999Z in summer time).
    setClock(gw, '2026-08-18T20:00:00.000Z');
    const accepted = await accept(gw, HOSPITAL_2, warning({ planned: '2026-08-21', ext: extension('<gw:WarningCategory>REDUCED_CARE</gw:WarningCategory>') }));
    const d2 = one(accepted.deadlines, 'D2');
    // The municipality polls two days after the limit: the hospital warned in time all the same.
    setClock(gw, '2026-08-20T09:00:00.000Z');
    const items = await leaseInbox(gw, MUNICIPALITY_2, '?limit=100');
    await fetchItems(gw, MUNICIPALITY_2, items.filter((i) => i.messageId === accepted.id));
    expect(await deadlineJson(gw, HOSPITAL_2, d2.id)).toMatchObject({ state: 'on-time', measuredAt: 'gateway-arrival' });
  });

  it('a millisecond after the limit is late, counted in weekdays and hours; the message is still delivered', async () => {
    setClock(gw, '2026-03-17T23:00:00.000Z');
    const accepted = await accept(gw, HOSPITAL_2, warning({ planned: '2026-03-20', ext: extension('<gw:WarningCategory>REDUCED_CARE</gw:WarningCategory>') }));
    expect(one(accepted.deadlines, 'D2')).toMatchObject({ state: 'late', lateBy: { weekdays: 1, hours: 1 }, measuredAt: 'gateway-arrival' });
    const items = await leaseInbox(gw, MUNICIPALITY_2, '?limit=100');
    await fetchItems(gw, MUNICIPALITY_2, items);
    expect(items.some((i) => i.messageId === accepted.id)).toBe(true);
  });

  it('a warning without a category is delivered and D1–D4 recorded as not evaluable with the reason; D28 warns of a Saturday in child and youth psychiatry', async () => {
    setClock(gw, '2026-03-10T10:00:00.000Z');
    const childYouth = extension('<gw:ChildYouthPsychiatry>true</gw:ChildYouthPsychiatry>');
    const accepted = await accept(gw, HOSPITAL_2, warning({ planned: '2026-03-20', endOfTreatment: '2026-03-14', ext: childYouth }));
    expect(one(accepted.deadlines, 'D1-D4')).toMatchObject({ state: 'not-evaluable', reason: expect.stringMatching(/no warning category/) });
    // "Færdigbehandlingsdagen skal være en hverdag, mandag – fredag" (004 L7557–7559): a child and youth psychiatry rule.
    expect(one(accepted.deadlines, 'D28')).toMatchObject({ state: 'validation-warning', reason: 'EndOfTreatment 2026-03-14 is a Saturday, not a weekday (Monday–Friday)' });
    const somatic = await accept(gw, HOSPITAL_2, warning({ planned: '2026-03-20', endOfTreatment: '2026-03-14' }));
    expect(somatic.deadlines.filter((d) => d.ruleId === 'D28')).toEqual([]);
  });

  it('D10: a plan after the discharge is late by the measured hours and closes the deadline; the advice timeline says so', async () => {
    setClock(gw, '2026-03-20T09:30:00.000Z');
    const advice = await accept(gw, HOSPITAL_2, dischargeAdvice({ patient: PATIENT_A, discharge: '2026-03-20', retraining: true }));
    const d10 = one(advice.deadlines, 'D10');
    expect(d10).toMatchObject({ state: 'pending', dueAt: '2026-03-20T09:00:00.000Z', breachAt: '2026-03-20T22:59:59.999Z', obligedEan: HOSPITAL_2 });
    const timer = await breachTimerOf(gw, d10.id);
    expect(timer).toMatchObject({ dueAt: new Date('2026-03-20T22:59:59.999Z'), doneAt: null });

    setClock(gw, '2026-03-20T13:20:00.000Z');
    const planned = await accept(gw, HOSPITAL_2, plan(PATIENT_A));
    expect(one(planned.deadlines, 'D10', 'fulfilled')).toMatchObject({
      id: d10.id,
      state: 'late',
      lateBy: { hours: 5 },
      fulfilledAt: '2026-03-20T13:20:00.000Z',
      startedBy: { messageId: advice.id },
    });
    expect(one(planned.deadlines, 'D7')).toMatchObject({ state: 'pending', obligedEan: MUNICIPALITY_2 });
    expect(await deadlineJson(gw, HOSPITAL_2, d10.id)).toMatchObject({ state: 'late', fulfilledByMessageId: planned.id, lateBy: { hours: 5 } });
    expect((await breachTimerOf(gw, d10.id)).doneAt).not.toBeNull();
    const timeline = (await viewMessage(gw, HOSPITAL_2, advice.id)).timeline;
    expect(timeline.find((e) => e.kind === 'deadline-fulfilled')?.detail).toMatchObject({ deadlineId: d10.id, state: 'late', byMessageId: planned.id });
    // The breach timer finds nothing to do.
    setClock(gw, '2026-03-21T00:00:00.000Z');
    expect((await runDeadlineBreach(gw.gateway.context(), timer.id)).outcome).toBe('done');
  });

  it('D10: a plan sent before the discharge advice fulfils it on time at once (the gateway looks back)', async () => {
    setClock(gw, '2026-04-13T08:00:00.000Z');
    const planned = await accept(gw, HOSPITAL_2, plan(PATIENT_B));
    setClock(gw, '2026-04-14T09:00:00.000Z');
    const advice = await accept(gw, HOSPITAL_2, dischargeAdvice({ patient: PATIENT_B, discharge: '2026-04-14', time: '10:30', retraining: true }));
    expect(one(advice.deadlines, 'D10')).toMatchObject({ state: 'on-time', fulfilledAt: '2026-04-13T08:00:00.000Z' });
    const stored = await deadlineJson(gw, HOSPITAL_2, one(advice.deadlines, 'D10').id);
    expect(stored).toMatchObject({ state: 'on-time', fulfilledByMessageId: planned.id, breachAt: null });
    expect(await count(gw, `outbox WHERE deadline_id = '${one(advice.deadlines, 'D10').id}'`)).toBe(0);
  });

  it('D10: no plan by the end of the discharge day is a breach (timer with the injected clock); a later plan makes it late', async () => {
    setClock(gw, '2026-05-04T08:00:00.000Z');
    const advice = await accept(gw, HOSPITAL_2, dischargeAdvice({ patient: PATIENT_A, discharge: '2026-05-04', retraining: true }));
    const d10 = one(advice.deadlines, 'D10');
    const timer = await breachTimerOf(gw, d10.id);
    expect(timer.dueAt.toISOString()).toBe('2026-05-04T21:59:59.999Z');

    setClock(gw, '2026-05-04T21:59:59.998Z');
    expect((await runDeadlineBreach(gw.gateway.context(), timer.id)).outcome).toBe('not-due');
    expect(await deadlineJson(gw, HOSPITAL_2, d10.id)).toMatchObject({ state: 'pending' });

    setClock(gw, '2026-05-04T22:00:00.000Z');
    expect((await runDeadlineBreach(gw.gateway.context(), timer.id)).outcome).toBe('breached');
    expect(await deadlineJson(gw, HOSPITAL_2, d10.id)).toMatchObject({ state: 'breached', breachedAt: '2026-05-04T22:00:00.000Z' });
    expect((await viewMessage(gw, HOSPITAL_2, advice.id)).timeline.some((e) => e.kind === 'deadline-breached')).toBe(true);
    // Fired twice (a second process, a re-created job): nothing more happens.
    expect((await runDeadlineBreach(gw.gateway.context(), timer.id)).outcome).toBe('done');

    setClock(gw, '2026-05-06T10:00:00.000Z');
    const late = await accept(gw, HOSPITAL_2, plan(PATIENT_A));
    expect(one(late.deadlines, 'D10', 'fulfilled')).toMatchObject({ id: d10.id, state: 'late', lateBy: { hours: 50 } });
  });

  it('D10: a plan that could not see the advice (accepted at the same moment) is found by the breach timer\'s last look', async () => {
    setClock(gw, '2026-05-11T08:00:00.000Z');
    const advice = await accept(gw, HOSPITAL_2, dischargeAdvice({ patient: PATIENT_C, discharge: '2026-05-11', retraining: true }));
    const d10 = one(advice.deadlines, 'D10');
    // As if the two were accepted side by side: the plan's acceptance correlates nothing.
    setClock(gw, '2026-05-11T10:30:00.000Z');
    const blind = { ...gw.gateway.context(), deadlineCorrelation: { fulfilling: new Set<string>() } };
    const planned = await acceptMessage(blind, HOSPITAL_2, { body: plan(PATIENT_C), contentType: 'application/xml' });
    expect(planned.response.deadlines.filter((d) => d.effect === 'fulfilled')).toEqual([]);
    expect(await deadlineJson(gw, HOSPITAL_2, d10.id)).toMatchObject({ state: 'pending' });

    setClock(gw, '2026-05-11T22:00:00.000Z');
    expect((await runDeadlineBreach(gw.gateway.context(), (await breachTimerOf(gw, d10.id)).id)).outcome).toBe('fulfilled');
    expect(await deadlineJson(gw, HOSPITAL_2, d10.id)).toMatchObject({
      state: 'late',
      // Discharge 10:00 Copenhagen time = 08:00Z; 2½ hours late = 3 started hours.
      lateBy: { hours: 3 },
      fulfilledAt: '2026-05-11T10:30:00.000Z',
      fulfilledByMessageId: planned.response.id,
    });
  });

  it('D17: a request for information answered back within 24 hours is on time; a correspondence the other way does not count', async () => {
    setClock(gw, '2026-03-28T09:00:00.000Z');
    const request = await accept(gw, HOSPITAL, correspondence(HOSPITAL, MUNICIPALITY, extension('<gw:RequestForInformation>true</gw:RequestForInformation>')));
    const d17 = one(request.deadlines, 'D17');
    expect(d17).toMatchObject({ state: 'pending', dueAt: '2026-03-29T09:00:00.000Z', obligedEan: MUNICIPALITY });
    // The hospital writing again is not the answer.
    setClock(gw, '2026-03-28T12:00:00.000Z');
    const again = await accept(gw, HOSPITAL, correspondence(HOSPITAL, MUNICIPALITY));
    expect(again.deadlines.filter((d) => d.effect === 'fulfilled')).toEqual([]);
    // Across the spring DST change, 23 elapsed hours later.
    setClock(gw, '2026-03-29T08:00:00.000Z');
    const answer = await accept(gw, MUNICIPALITY, correspondence(MUNICIPALITY, HOSPITAL));
    expect(one(answer.deadlines, 'D17', 'fulfilled')).toMatchObject({ id: d17.id, state: 'on-time' });
    expect(await deadlineJson(gw, MUNICIPALITY, d17.id)).toMatchObject({ state: 'on-time', fulfilledByMessageId: answer.id });
  });

  describe('D7: the obliged endpoint reports the first contact', () => {
    let d7: DeadlineSummary;
    let d10Id: string;

    beforeAll(async () => {
      setClock(gw, '2026-06-01T08:00:00.000Z');
      const advice = await accept(gw, HOSPITAL_2, dischargeAdvice({ patient: PATIENT_B, discharge: '2026-06-01', retraining: true }));
      d10Id = one(advice.deadlines, 'D10').id;
      setClock(gw, '2026-06-01T09:00:00.000Z');
      // Monday: the first contact is due by the end of Thursday 2026-06-04 (grundlovsdag, Friday, is open by default).
      d7 = one((await accept(gw, HOSPITAL_2, plan(PATIENT_B))).deadlines, 'D7');
      expect(d7).toMatchObject({ state: 'pending', dueAt: '2026-06-04T21:59:59.999Z' });
    });

    it('refuses the sender (403), strangers (404), a time in the future (422), unknown fields (400) and a deadline fulfilled by messages (409)', async () => {
      setClock(gw, '2026-06-03T10:00:00.000Z');
      const notObliged = await fulfil(gw, HOSPITAL_2, d7.id, {});
      expect(notObliged.statusCode, notObliged.body).toBe(403);
      expect(notObliged.json()).toMatchObject({ type: expect.stringMatching(/not-obliged$/), detail: expect.stringContaining(MUNICIPALITY_2) });
      expect((await fulfil(gw, MUNICIPALITY, d7.id, {})).statusCode).toBe(404);
      expect((await gw.get(MUNICIPALITY, `/api/v1/deadlines/${d7.id}`)).statusCode).toBe(404);
      expect((await fulfil(gw, MUNICIPALITY_2, 'not-a-uuid', {})).statusCode).toBe(400);
      const future = await fulfil(gw, MUNICIPALITY_2, d7.id, { at: '2026-06-03T11:00:00Z' });
      expect(future.statusCode, future.body).toBe(422);
      expect(future.headers['content-type']).toMatch(/application\/problem\+json/);
      const unknownField = await fulfil(gw, MUNICIPALITY_2, d7.id, { when: '2026-06-03T09:00:00Z' });
      expect(unknownField.statusCode, unknownField.body).toBe(400);
      const badTime = await fulfil(gw, MUNICIPALITY_2, d7.id, { at: 'tomorrow' });
      expect(badTime.statusCode, badTime.body).toBe(400);
      const byMessage = await fulfil(gw, HOSPITAL_2, d10Id, {});
      expect(byMessage.statusCode, byMessage.body).toBe(409);
      expect(byMessage.json()).toMatchObject({ type: expect.stringMatching(/not-explicit$/) });
      expect(await deadlineJson(gw, MUNICIPALITY_2, d7.id)).toMatchObject({ state: 'pending', fulfilledAt: null });
    });

    it('fulfils once, judged at the given time; the same again is harmless, another time a conflict', async () => {
      setClock(gw, '2026-06-05T08:00:00.000Z');
      const done = await fulfil(gw, MUNICIPALITY_2, d7.id, { at: '2026-06-04T14:00:00+02:00', note: 'Telefonisk kontakt, aftale om første træning' });
      expect(done.statusCode, done.body).toBe(200);
      expect(done.json()).toMatchObject({ state: 'on-time', fulfilledAt: '2026-06-04T12:00:00.000Z', fulfilmentNote: 'Telefonisk kontakt, aftale om første træning' });
      const again = await fulfil(gw, MUNICIPALITY_2, d7.id, { at: '2026-06-04T12:00:00Z', note: 'Telefonisk kontakt, aftale om første træning' });
      expect(again.statusCode, again.body).toBe(200);
      const other = await fulfil(gw, MUNICIPALITY_2, d7.id, { at: '2026-06-05T07:00:00Z' });
      expect(other.statusCode, other.body).toBe(409);
      expect((await breachTimerOf(gw, d7.id)).doneAt).not.toBeNull();
    });
  });

  describe('operations: the list, the compliance report, and who may see them', () => {
    it('filters by state, rule, endpoint and patient (a CPR, never echoed), a page at a time', async () => {
      const late = await ops(gw, '/api/v1/ops/deadlines?state=late&rule=D2,D10');
      expect(late.statusCode, late.body).toBe(200);
      const items = late.json<{ items: { ruleId: string; state: string }[] }>().items;
      expect(items.length).toBeGreaterThanOrEqual(3);
      expect(items.every((i) => i.state === 'late' && ['D2', 'D10'].includes(i.ruleId))).toBe(true);

      const byPatient = (await ops(gw, `/api/v1/ops/deadlines?patient=${PATIENT_B.slice(0, 6)}-${PATIENT_B.slice(6)}`)).json<{ items: { ruleId: string }[] }>();
      expect(byPatient.items.map((i) => i.ruleId).sort()).toEqual(['D10', 'D10', 'D17', 'D7', 'D7']);
      expect(JSON.stringify(byPatient)).not.toContain(PATIENT_B);

      const first = (await ops(gw, `/api/v1/ops/deadlines?endpoint=${MUNICIPALITY_2}&limit=2`)).json<{ items: { id: string }[]; nextCursor?: string }>();
      expect(first.items).toHaveLength(2);
      const second = (await ops(gw, `/api/v1/ops/deadlines?endpoint=${MUNICIPALITY_2}&limit=2&cursor=${first.nextCursor ?? ''}`)).json<{ items: { id: string }[] }>();
      expect(second.items.some((i) => first.items.some((f) => f.id === i.id))).toBe(false);
    });

    it('answers bad filters with problems, and endpoints with 403', async () => {
      const badState = await ops(gw, '/api/v1/ops/deadlines?state=overdue');
      expect(badState.statusCode).toBe(400);
      expect(badState.json()).toMatchObject({ detail: expect.stringContaining('"overdue"') });
      expect((await ops(gw, '/api/v1/ops/deadlines?from=2026-06-01')).statusCode).toBe(400);
      expect((await ops(gw, '/api/v1/ops/deadlines?patient=12345')).statusCode).toBe(400);
      expect((await ops(gw, '/api/v1/ops/deadlines?cursor=bogus')).statusCode).toBe(400);
      expect((await ops(gw, '/api/v1/ops/deadlines/report?from=2026-06-01T00:00:00Z&to=2026-05-01T00:00:00Z')).statusCode).toBe(422);
      expect((await gw.get(HOSPITAL, '/api/v1/ops/deadlines')).statusCode).toBe(403);
      expect((await gw.get(HOSPITAL, '/api/v1/ops/deadlines/report')).statusCode).toBe(403);
    });

    it('reports per obliged endpoint and rule: share on time, median and worst lateness, as JSON and CSV', async () => {
      setClock(gw, '2026-07-01T00:00:00.000Z');
      const json = await ops(gw, '/api/v1/ops/deadlines/report?from=2026-03-01T00:00:00Z&to=2026-07-01T00:00:00Z');
      expect(json.statusCode, json.body).toBe(200);
      const report = json.json<{ period: unknown; lines: Record<string, unknown>[] }>();
      expect(report.period).toEqual({ from: '2026-03-01T00:00:00.000Z', to: '2026-07-01T00:00:00.000Z' });
      expect(report.lines.find((l) => l.obligedEan === HOSPITAL_2 && l.ruleId === 'D2')).toMatchObject({
        total: 2,
        judged: 2,
        onTime: 1,
        late: 1,
        shareOnTime: 0.5,
        medianLatenessHours: 1,
        worstLatenessHours: 1,
      });
      // D10: late by 5 h, by 50 h (the breached one, fulfilled later), by 3 h (found by the timer) and by 1 h (the D7 case);
      // one on time (the plan before the advice).
      expect(report.lines.find((l) => l.obligedEan === HOSPITAL_2 && l.ruleId === 'D10')).toMatchObject({
        judged: 5,
        onTime: 1,
        late: 4,
        shareOnTime: 0.2,
        medianLatenessHours: 4,
        worstLatenessHours: 50,
      });

      const csv = await ops(gw, '/api/v1/ops/deadlines/report?from=2026-03-01T00:00:00Z&to=2026-07-01T00:00:00Z', { accept: 'text/csv' });
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(csv.headers['content-disposition']).toBe('attachment; filename="deadline-compliance_2026-03-01_2026-07-01.csv"');
      const lines = csv.body.split('\r\n');
      expect(lines[0]).toBe('obligedEan,ruleId,title,total,judged,onTime,late,breached,pending,notEvaluable,validationWarnings,shareOnTime,medianLatenessHours,worstLatenessHours,awaitingStart,byMessage,byFallback,byReport');
      expect(lines).toContain(`${HOSPITAL_2},D10,Retraining plan to the home municipality (and the copy to the GP) at the latest at discharge,5,5,1,4,0,0,0,0,0.2,4,50,0,5,0,0`);
      expect((await ops(gw, '/api/v1/ops/deadlines/report?format=csv')).body).toBe(
        (await ops(gw, '/api/v1/ops/deadlines/report', { accept: 'text/csv' })).body,
      );
    });
  });

  describe('POST /api/v1/deadlines/evaluate: would this be on time? (nothing stored)', () => {
    const body = () => warning({ planned: '2026-03-20', ext: extension('<gw:WarningCategory>REDUCED_SPECIAL_AIDS</gw:WarningCategory>') });
    const evaluate = (query: string, payload: Buffer | string, contentType = 'application/xml') =>
      gw.request({ method: 'POST', url: `/api/v1/deadlines/evaluate${query}`, headers: { authorization: `Bearer demo-${HOSPITAL}`, 'content-type': contentType }, payload });

    it('answers the deadlines at the given time and stores nothing', async () => {
      const before = await Promise.all(['messages', 'deadlines', 'deliveries', 'outbox'].map((t) => count(gw, t)));
      const onTime = await evaluate('?at=2026-03-13T12:00:00%2B01:00', body());
      expect(onTime.statusCode, onTime.body).toBe(200);
      // D3: 5 weekdays before Friday 2026-03-20 = Friday 2026-03-13, end of day.
      expect(onTime.json()).toMatchObject({
        at: '2026-03-13T11:00:00.000Z',
        stored: false,
        letters: [{ type: 'XDIS19', deadlines: [{ ruleId: 'D3', state: 'on-time', dueAt: '2026-03-13T22:59:59.999Z' }] }],
      });
      const late = (await evaluate('?at=2026-03-16T08:00:00Z', body())).json<{ letters: { deadlines: { state: string; lateBy: unknown }[] }[] }>();
      expect(late.letters[0]?.deadlines[0]).toMatchObject({ state: 'late', lateBy: { weekdays: 1, hours: 58 } });
      expect(await Promise.all(['messages', 'deadlines', 'deliveries', 'outbox'].map((t) => count(gw, t)))).toEqual(before);
    });

    it('refuses an invalid message as POST /api/v1/messages would, and a bad time', async () => {
      const broken = await evaluate('', '<Emessage><Envelope>');
      expect(broken.statusCode).toBe(400);
      expect(broken.json()).toMatchObject({ type: expect.stringMatching(/not-well-formed$/) });
      expect((await evaluate('?at=2026-03-13', body())).statusCode).toBe(400);
      expect((await evaluate('', '{}', 'application/json')).statusCode).toBe(415);
    });
  });
});

/** A rules file whose D17 limit is 0 hours: the breach timer is due the moment the request arrives, so the real queue fires it at once. */
function instantBreachConfig(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'medcom-deadline-config-'));
  writeFileSync(join(dir, 'endpoints.json'), readFileSync(fromPackageRoot('config', 'endpoints.json')));
  const rules = JSON.parse(readFileSync(fromPackageRoot('config', 'deadline-rules.json'), 'utf8')) as { profiles: unknown[] };
  rules.profiles = [{ id: 'test-instant-d17', appliesTo: { municipalityEan: MUNICIPALITY }, overrides: { D17: { offset: { amount: 0 } } } }];
  writeFileSync(join(dir, 'deadline-rules.json'), JSON.stringify(rules));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

async function waitForState(gw: TestGateway, id: string, state: string): Promise<void> {
  const until = Date.now() + 15_000;
  for (;;) {
    const { rows } = await gw.db.query<{ state: string }>('SELECT state FROM deadlines WHERE id = $1', [id]);
    if (rows[0]?.state === state) return;
    if (Date.now() > until) throw new Error(`deadline ${id} is ${rows[0]?.state ?? 'missing'}, not ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the breach timer through the queue: a profile override, a restart and a Redis flush', () => {
  let redis: PrivateRedis;
  let config: { dir: string; remove(): void };
  let apiOnly: TestGateway;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    config = instantBreachConfig();
    apiOnly = await startTestGateway({
      workers: false,
      env: { REDIS_URL: redis.url, MEDCOM_CONFIG_DIR: config.dir, MEDCOM_RECONCILE_INTERVAL_MS: '3600000' },
    });
  });

  afterAll(async () => {
    await apiOnly?.close();
    await redis?.stop();
    config?.remove();
  });

  it('a deadline whose timer was lost with Redis is breached by the worker of a restarted gateway', async () => {
    setClock(apiOnly, '2026-03-28T09:00:00.000Z');
    const request = await accept(apiOnly, HOSPITAL, correspondence(HOSPITAL, MUNICIPALITY, extension('<gw:RequestForInformation>true</gw:RequestForInformation>')));
    const d17 = one(request.deadlines, 'D17');
    expect(d17).toMatchObject({ state: 'pending', dueAt: '2026-03-28T09:00:00.000Z', profiles: ['test-instant-d17'] });
    await redis.flushAll();

    // A gateway with workers starts on the same store: its start-up reconciliation re-creates the timer job.
    const worker = await startTestGateway({
      sharedWith: apiOnly,
      workers: true,
      env: { REDIS_URL: redis.url, MEDCOM_CONFIG_DIR: config.dir, MEDCOM_QUEUE_PREFIX: apiOnly.settings.queuePrefix },
    });
    try {
      await waitForState(apiOnly, d17.id, 'breached');
      expect((await breachTimerOf(apiOnly, d17.id)).doneAt).not.toBeNull();
      // The answer after the breach still closes it, as late.
      setClock(apiOnly, '2026-03-28T11:30:00.000Z');
      const answer = await accept(apiOnly, MUNICIPALITY, correspondence(MUNICIPALITY, HOSPITAL));
      expect(one(answer.deadlines, 'D17', 'fulfilled')).toMatchObject({ state: 'late', lateBy: { hours: 3 } });
    } finally {
      await worker.close();
    }
  });
});

describe('a rule fulfilled by the receiver\'s positive receipt (a profile override)', () => {
  let gw: TestGateway;
  let config: { dir: string; remove(): void };

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medcom-deadline-config-'));
    writeFileSync(join(dir, 'endpoints.json'), readFileSync(fromPackageRoot('config', 'endpoints.json')));
    const rules = JSON.parse(readFileSync(fromPackageRoot('config', 'deadline-rules.json'), 'utf8')) as { profiles: unknown[] };
    // D19 evidenced by the municipality's receipt rather than the gateway arrival (domain.md §3.1 "Evidence").
    rules.profiles = [{ id: 'd19-by-receipt', appliesTo: { municipalityEan: MUNICIPALITY }, overrides: { D19: { fulfilledBy: { kind: 'receipt' } } } }];
    writeFileSync(join(dir, 'deadline-rules.json'), JSON.stringify(rules));
    config = { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
    gw = await startTestGateway({ workers: false, env: { MEDCOM_CONFIG_DIR: dir } });
  });

  afterAll(async () => {
    await gw?.close();
    config?.remove();
  });

  it('stays pending until the receiver answers positive, then is judged at the answer; a negative answer does not fulfil it', async () => {
    const admission = () => renumber(Buffer.from(fixture('XDIS20_admission_acute.xml').toString('utf8').replace(/(<Admission>\s*<Date>)[^<]*/, '$12026-03-10'), 'utf8'), ids());
    setClock(gw, '2026-03-10T08:00:00.000Z');
    const first = await accept(gw, HOSPITAL, admission());
    const firstD19 = one(first.deadlines, 'D19');
    expect(firstD19).toMatchObject({ state: 'pending', obligedEan: MUNICIPALITY, profiles: ['d19-by-receipt'], dueAt: '2026-03-10T22:59:59.999Z' });
    const second = await accept(gw, HOSPITAL, admission());
    const secondD19 = one(second.deadlines, 'D19');

    const items = await leaseInbox(gw, MUNICIPALITY, '?limit=100');
    await fetchItems(gw, MUNICIPALITY, items);
    const itemOf = (messageId: string) => items.find((i) => i.messageId === messageId)?.id as string;
    setClock(gw, '2026-03-10T20:00:00.000Z');
    expect((await gw.answer(MUNICIPALITY, itemOf(first.id), { status: 'positive' })).statusCode).toBe(200);
    expect(await deadlineJson(gw, HOSPITAL, firstD19.id)).toMatchObject({ state: 'on-time', fulfilledAt: '2026-03-10T20:00:00.000Z' });
    expect((await viewMessage(gw, HOSPITAL, first.id)).timeline.map((e) => e.kind)).toContain('deadline-fulfilled');

    expect((await gw.answer(MUNICIPALITY, itemOf(second.id), { status: 'negative', refuseCode: 'ikke_specificeret' })).statusCode).toBe(200);
    expect(await deadlineJson(gw, HOSPITAL, secondD19.id)).toMatchObject({ state: 'pending', fulfilledAt: null });
  });
});

describe('D10 looks back on its own, with nothing else of the patient\'s to correlate', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({ workers: false });
  });

  afterAll(async () => {
    await gw?.close();
  });

  it('D10: an earlier plan is found when nothing waits for the discharge (the plan\'s D7 already started from an earlier advice)', async () => {
    const patient = '2204601234';
    setClock(gw, '2026-04-13T08:00:00.000Z');
    await accept(gw, HOSPITAL_2, dischargeAdvice({ patient, discharge: '2026-04-13', time: '09:00', retraining: false }));
    setClock(gw, '2026-04-13T09:00:00.000Z');
    const planned = await accept(gw, HOSPITAL_2, plan(patient));
    expect(one(planned.deadlines, 'D7').state).toBe('pending');
    setClock(gw, '2026-04-14T09:00:00.000Z');
    const advice = await accept(gw, HOSPITAL_2, dischargeAdvice({ patient, discharge: '2026-04-14', time: '10:30', retraining: true }));
    expect(one(advice.deadlines, 'D10')).toMatchObject({ state: 'on-time', fulfilledAt: '2026-04-13T09:00:00.000Z' });
  });
});

describe('what does not fulfil or start a deadline', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({ workers: false });
  });

  afterAll(async () => {
    await gw?.close();
  });

  const requestForInformation = () => correspondence(HOSPITAL, MUNICIPALITY, extension('<gw:RequestForInformation>true</gw:RequestForInformation>'));

  it('D17: an answer sent to someone other than the asker, or about another episode, leaves it open', async () => {
    setClock(gw, '2026-09-07T09:00:00.000Z');
    const d17 = one((await accept(gw, HOSPITAL, requestForInformation())).deadlines, 'D17');
    setClock(gw, '2026-09-07T10:00:00.000Z');
    const elsewhere = await accept(gw, MUNICIPALITY, correspondence(MUNICIPALITY, HOSPITAL_2));
    expect(elsewhere.deadlines).toEqual([]);
    const otherEpisode = Buffer.from(
      correspondence(MUNICIPALITY, HOSPITAL).toString('utf8').replace(/(<EpisodeOfCareIdentifier>)[^<]*/, '$1aaaaaaaabbbbccccddddeeeeeeeeeeee'),
      'utf8',
    );
    expect((await accept(gw, MUNICIPALITY, otherEpisode)).deadlines).toEqual([]);
    expect(await deadlineJson(gw, HOSPITAL, d17.id)).toMatchObject({ state: 'pending', fulfilledAt: null });
    // The answer in the same episode, to the asker, closes it.
    const answer = await accept(gw, MUNICIPALITY, correspondence(MUNICIPALITY, HOSPITAL));
    expect(one(answer.deadlines, 'D17', 'fulfilled')).toMatchObject({ id: d17.id, state: 'on-time' });
  });

  it('D10: a plan sent more than 30 days before the discharge advice does not count', async () => {
    setClock(gw, '2026-09-01T08:00:00.000Z');
    await accept(gw, HOSPITAL_2, plan(PATIENT_C));
    setClock(gw, '2026-10-01T08:00:00.001Z');
    const advice = await accept(gw, HOSPITAL_2, dischargeAdvice({ patient: PATIENT_C, discharge: '2026-10-01', retraining: true }));
    expect(one(advice.deadlines, 'D10')).toMatchObject({ state: 'pending' });
  });

  it('a resend of a letter (same letter identifier, new envelope) starts no deadline again', async () => {
    setClock(gw, '2026-03-13T09:00:00.000Z');
    const first = warning({ planned: '2026-03-20', ext: extension('<gw:WarningCategory>REDUCED_CARE</gw:WarningCategory>') });
    const original = await accept(gw, HOSPITAL_2, first);
    expect(one(original.deadlines, 'D2')).toMatchObject({ state: 'on-time' });
    const letterId = one(original.deadlines, 'D2').letterId;
    const resend = await gw.post(HOSPITAL_2, renumber(first, { envelope: `${ids().envelope}R`, letter: letterId }));
    expect(resend.statusCode, resend.body).toBe(200);
    // The answer points at the first message (`id`), whose view shows its deadlines; the resend itself starts none.
    expect(resend.json()).toMatchObject({ duplicate: true, id: original.id, deadlines: [] });
    expect(await count(gw, `deadlines WHERE letter_id = '${letterId}'`)).toBe(1);
  });
});
