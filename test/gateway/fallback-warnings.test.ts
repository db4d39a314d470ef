/**
 * Warnings given outside MedCom. "Varsling foregår så vidt muligt elektronisk via MedCom rapport …
 * Hvor dette ikke er muligt, kan anvendes enten telefonisk besked, sikker e-mail eller FAX" (004
 * L1505–1509); "Fremsender indlæggelsesadvis elektronisk … eller kontakter kommunen på anden vis"
 * (L634–636). The obliged hospital, or an operator for it, records such a warning: on the deadline a
 * message started (`POST /api/v1/deadlines/{id}/fulfil` with a `channel`), or, when no message exists,
 * as a deadline started and fulfilled at once (`POST /api/v1/deadlines/fallback-warnings`). The
 * compliance report counts them apart from fulfilments by a MedCom message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDeadlineBreach } from '../../src/app/deadline-tracking.js';
import { HOSPITAL, HOSPITAL_2, MUNICIPALITY, MUNICIPALITY_2, fixture, renumber, startTestGateway, type TestGateway } from '../support/gateway.js';

const PATIENT = '1507381236';
let gw: TestGateway;
let serial = 0;

beforeAll(async () => {
  gw = await startTestGateway({ workers: false });
});

afterAll(async () => {
  await gw?.close();
});

function setClock(iso: string): void {
  gw.clock.advance(new Date(iso).getTime() - gw.clock.now().getTime());
}

function ids(prefix: string): { envelope: string; letter: string } {
  serial += 1;
  return { envelope: `${prefix}E${serial}`, letter: `${prefix}L${serial}` };
}

/** A warning of discharge (XDIS19, HOSPITAL_2 → MUNICIPALITY_2) needing home care (D2: 3 weekdays ahead). */
function homeCareWarning(planned: string): Buffer {
  let text = fixture('XDIS19_gateway_extension.xml').toString('utf8');
  text = text.replace(/<Local_Elements>[\s\S]*<\/Local_Elements>/, '');
  text = text.replace(/(<PlannedDischarge>\s*<Date>)[^<]*/, `$1${planned}`);
  const ext = '<Local_Elements><gw:Gateway xmlns:gw="urn:medcom-gateway:extension:1"><gw:WarningCategory>REDUCED_CARE</gw:WarningCategory></gw:Gateway></Local_Elements>';
  return renumber(Buffer.from(text.replace('</Emessage>', `${ext}</Emessage>`), 'utf8'), ids('FBW'));
}

/** A discharge advice (XDIS17, HOSPITAL_2 → MUNICIPALITY_2) saying retraining is expected: D10 waits for the plan. */
function dischargeExpectingPlan(discharge: string): Buffer {
  let text = fixture('XDIS17_discharge_home.xml').toString('utf8');
  text = text.replace(/(<Sender>\s*<EANIdentifier>)[^<]*/, `$1${HOSPITAL_2}`).replace(/(<AnswerTo>\s*<EANIdentifier>)[^<]*/, `$1${HOSPITAL_2}`);
  text = text.replace(/(<Receiver>\s*<EANIdentifier>)[^<]*/, `$1${MUNICIPALITY_2}`).replace(/(<CivilRegistrationNumber>)[^<]*/, `$1${PATIENT}`);
  text = text.replace(/(<Discharge>\s*<Date>)[^<]*(<\/Date>\s*<Time>)[^<]*/, `$1${discharge}$210:00`);
  const ext = '<Local_Elements><gw:Gateway xmlns:gw="urn:medcom-gateway:extension:1"><gw:RetrainingExpected>true</gw:RetrainingExpected></gw:Gateway></Local_Elements>';
  return renumber(Buffer.from(text.replace('</Emessage>', `${ext}</Emessage>`), 'utf8'), ids('FBD'));
}

async function startedDeadline(body: Buffer, ruleId: string): Promise<{ id: string; state: string; messageId: string }> {
  const response = await gw.post(HOSPITAL_2, body);
  expect(response.statusCode, response.body).toBe(202);
  const accepted = response.json<{ id: string; deadlines: { id: string; ruleId: string; state: string }[] }>();
  const found = accepted.deadlines.find((d) => d.ruleId === ruleId);
  expect(found, JSON.stringify(accepted.deadlines)).toBeDefined();
  return { ...(found as { id: string; state: string }), messageId: accepted.id };
}

function authorization(who: string): string {
  return who === 'ops' ? 'Bearer demo-ops' : `Bearer demo-${who}`;
}

function fulfil(who: string, id: string, body: unknown) {
  return gw.request({ method: 'POST', url: `/api/v1/deadlines/${id}/fulfil`, headers: { authorization: authorization(who), 'content-type': 'application/json' }, payload: JSON.stringify(body) });
}

function fallbackWarning(who: string, body: unknown) {
  return gw.request({ method: 'POST', url: '/api/v1/deadlines/fallback-warnings', headers: { authorization: authorization(who), 'content-type': 'application/json' }, payload: JSON.stringify(body) });
}

async function auditActions(): Promise<{ action: string; reason: string | null; operator: string; details: Record<string, unknown> }[]> {
  const response = await gw.request({ method: 'GET', url: '/api/v1/ops/audit?limit=200', headers: { authorization: 'Bearer demo-ops' } });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ items: { action: string; reason: string | null; operator: string; details: Record<string, unknown> }[] }>().items;
}

describe('a warning given outside MedCom before a message that came late (004 L1505–1509)', () => {
  it('judges the deadline again at the time of the call: on time, with the channel, who recorded it and when', async () => {
    // Discharge Friday 2026-03-20: D2's limit is the end of Tuesday 2026-03-17 (22:59:59.999Z). The message came Wednesday.
    setClock('2026-03-18T09:00:00.000Z');
    const d2 = await startedDeadline(homeCareWarning('2026-03-20'), 'D2');
    expect(d2.state).toBe('late');

    setClock('2026-03-18T10:00:00.000Z');
    const response = await fulfil(HOSPITAL_2, d2.id, { channel: 'phone', at: '2026-03-16T13:30:00.000Z', note: 'Called the home care office' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      state: 'on-time',
      channel: 'phone',
      measuredAt: 'fallback-channel',
      fulfilledAt: '2026-03-16T13:30:00.000Z',
      fulfilmentNote: 'Called the home care office',
      fulfilmentRecorded: { at: '2026-03-18T10:00:00.000Z', by: HOSPITAL_2 },
      fallbackChannels: ['phone', 'secure-email', 'fax'],
    });
    // The message's timeline says so.
    const view = await gw.get(HOSPITAL_2, `/api/v1/messages/${d2.messageId}`);
    expect(JSON.stringify(view.json())).toContain('deadline-fulfilled');

    // The same report again is harmless; another one is a conflict.
    expect((await fulfil(HOSPITAL_2, d2.id, { channel: 'phone', at: '2026-03-16T13:30:00.000Z', note: 'Called the home care office' })).statusCode).toBe(200);
    const other = await fulfil(HOSPITAL_2, d2.id, { channel: 'fax', at: '2026-03-16T09:00:00.000Z' });
    expect(other.statusCode).toBe(409);
    expect(other.json()).toMatchObject({ type: expect.stringMatching(/already-fulfilled$/) });
  });

  it('refuses a channel the agreement does not allow for the rule, naming the ones it does (422)', async () => {
    setClock('2026-03-18T09:00:00.000Z');
    const d2 = await startedDeadline(homeCareWarning('2026-03-20'), 'D2');
    const response = await fulfil(HOSPITAL_2, d2.id, { channel: 'letter', at: '2026-03-16T13:30:00.000Z' });
    expect(response.statusCode).toBe(422);
    expect(response.json()).toMatchObject({ type: expect.stringMatching(/channel-not-allowed$/), errors: [{ path: '/body/channel' }] });
    expect(response.json<{ detail: string }>().detail).toContain('phone, secure-email, fax');
  });

  it('refuses a call more than 30 days before the message (422), one after it (409), and one on an on-time deadline (409)', async () => {
    setClock('2026-03-18T09:00:00.000Z');
    const d2 = await startedDeadline(homeCareWarning('2026-03-20'), 'D2');
    const tooEarly = await fulfil(HOSPITAL_2, d2.id, { channel: 'phone', at: '2026-02-01T10:00:00.000Z' });
    expect(tooEarly.statusCode).toBe(422);
    expect(tooEarly.json()).toMatchObject({ type: expect.stringMatching(/fulfilment-before-start$/), errors: [{ path: '/body/at' }] });
    setClock('2026-03-18T11:00:00.000Z');
    const after = await fulfil(HOSPITAL_2, d2.id, { channel: 'phone', at: '2026-03-18T09:00:01.000Z' });
    expect(after.statusCode).toBe(409);
    expect(after.json<{ detail: string }>().detail).toContain('changes nothing');

    setClock('2026-03-16T09:00:00.000Z');
    const onTime = await startedDeadline(homeCareWarning('2026-03-20'), 'D2');
    expect(onTime.state).toBe('on-time');
    const again = await fulfil(HOSPITAL_2, onTime.id, { channel: 'phone', at: '2026-03-13T09:00:00.000Z' });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ type: expect.stringMatching(/already-fulfilled$/) });
    // Nothing was recorded on either.
    const unchanged = await gw.get(HOSPITAL_2, `/api/v1/deadlines/${d2.id}`);
    expect(unchanged.json()).toMatchObject({ state: 'late', channel: null, fulfilmentRecorded: null });
  });

  it('lets only the obliged hospital record it: the municipality gets 403, a stranger 404', async () => {
    setClock('2026-03-18T09:00:00.000Z');
    const d2 = await startedDeadline(homeCareWarning('2026-03-20'), 'D2');
    expect((await fulfil(MUNICIPALITY_2, d2.id, { channel: 'phone', at: '2026-03-16T13:30:00.000Z' })).statusCode).toBe(403);
    expect((await fulfil(MUNICIPALITY, d2.id, { channel: 'phone', at: '2026-03-16T13:30:00.000Z' })).statusCode).toBe(404);
  });
});

describe('a deadline waiting for a message, fulfilled outside MedCom', () => {
  it('D10: a plan sent by letter fulfils it; without a channel the answer says a channel would', async () => {
    // D10 is due at the discharge (10:00 Copenhagen, 08:00Z); the plan went by letter at 09:30 Copenhagen.
    setClock('2026-04-14T06:00:00.000Z');
    const d10 = await startedDeadline(dischargeExpectingPlan('2026-04-14'), 'D10');
    expect(d10.state).toBe('pending');
    const plain = await fulfil(HOSPITAL_2, d10.id, {});
    expect(plain.statusCode).toBe(409);
    expect(plain.json<{ detail: string }>().detail).toContain('"channel" (secure-email, fax, letter)');

    setClock('2026-04-14T12:00:00.000Z');
    const response = await fulfil(HOSPITAL_2, d10.id, { channel: 'letter', at: '2026-04-14T07:30:00.000Z', note: 'The municipality cannot receive plans electronically yet' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ state: 'on-time', channel: 'letter', breachAt: expect.any(String) });
    // Its breach timer is done: nothing will mark it breached.
    const { rows } = await gw.db.query<{ done: boolean }>("SELECT done_at IS NOT NULL AS done FROM outbox WHERE deadline_id = $1 AND kind = 'deadline-breach'", [d10.id]);
    expect(rows.map((r) => r.done)).toEqual([true]);
  });

  it('a breached deadline fulfilled outside MedCom becomes late, never on time, whatever time the report claims', async () => {
    setClock('2026-04-16T06:00:00.000Z');
    const d10 = await startedDeadline(dischargeExpectingPlan('2026-04-16'), 'D10');
    // No plan by the end of the discharge day: the breach timer marks it.
    setClock('2026-04-17T06:00:00.000Z');
    const { rows } = await gw.db.query<{ id: number }>("SELECT id FROM outbox WHERE deadline_id = $1 AND kind = 'deadline-breach'", [d10.id]);
    expect((await runDeadlineBreach(gw.gateway.context(), Number(rows[0]?.id))).outcome).toBe('breached');
    // The hospital now says the plan went by letter before the discharge: recorded, but late.
    const response = await fulfil(HOSPITAL_2, d10.id, { channel: 'letter', at: '2026-04-16T07:00:00.000Z', note: 'Plan posted to the municipality' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ state: 'late', channel: 'letter', fulfilledAt: '2026-04-16T07:00:00.000Z', fulfilmentRecorded: { at: '2026-04-17T06:00:00.000Z' } });
  });

  it('an operator records it for the hospital with a reason, which the audit log keeps; without a reason 400', async () => {
    setClock('2026-04-15T06:00:00.000Z');
    const d10 = await startedDeadline(dischargeExpectingPlan('2026-04-15'), 'D10');
    const noReason = await fulfil('ops', d10.id, { channel: 'fax' });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json()).toMatchObject({ type: expect.stringMatching(/reason-required$/), errors: [{ path: '/body/note' }] });

    const response = await fulfil('ops', d10.id, { channel: 'fax', note: 'Ward phoned: plan faxed this morning' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ state: 'on-time', channel: 'fax', fulfilmentRecorded: { by: 'Demo operator' } });
    const audit = (await auditActions()).find((a) => a.action === 'deadline-fulfilled' && a.details.deadlineId === d10.id);
    expect(audit).toMatchObject({ operator: 'Demo operator', reason: 'Ward phoned: plan faxed this morning', details: { channel: 'fax', ruleId: 'D10', state: 'on-time' } });
  });
});

describe('POST /api/v1/deadlines/fallback-warnings: a warning for which no message exists', () => {
  const base = { rule: 'D2', receiver: MUNICIPALITY_2, patient: PATIENT, channel: 'phone', reference: { date: '2026-05-22' } };

  it('starts the deadline the message would have started and judges it at once; the same again is harmless', async () => {
    // Discharge Friday 2026-05-22: the limit is the end of Tuesday 2026-05-19 (21:59:59.999Z in summer time).
    setClock('2026-05-20T08:00:00.000Z');
    const response = await fallbackWarning(HOSPITAL_2, { ...base, at: '2026-05-19T12:00:00.000Z', note: 'Phoned the home care office' });
    expect(response.statusCode, response.body).toBe(201);
    const deadline = response.json<{ id: string }>();
    expect(response.headers.location).toBe(`/api/v1/deadlines/${deadline.id}`);
    expect(deadline).toMatchObject({
      ruleId: 'D2',
      state: 'on-time',
      messageId: null,
      letterId: null,
      sender: HOSPITAL_2,
      receiver: MUNICIPALITY_2,
      obliged: HOSPITAL_2,
      channel: 'phone',
      measuredAt: 'fallback-channel',
      dueAt: '2026-05-19T21:59:59.999Z',
      fulfilledAt: '2026-05-19T12:00:00.000Z',
      reference: '2026-05-22',
      fulfilmentRecorded: { at: '2026-05-20T08:00:00.000Z', by: HOSPITAL_2 },
    });
    expect(response.body).not.toContain(PATIENT);

    const again = await fallbackWarning(HOSPITAL_2, { ...base, at: '2026-05-19T12:00:00.000Z', note: 'Phoned the home care office' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: deadline.id });
    // The municipality warned sees it; a stranger does not.
    expect((await gw.get(MUNICIPALITY_2, `/api/v1/deadlines/${deadline.id}`)).statusCode).toBe(200);
    expect((await gw.get(MUNICIPALITY, `/api/v1/deadlines/${deadline.id}`)).statusCode).toBe(404);
  });

  it('a warning given after the limit is late, counted as the message would have been', async () => {
    setClock('2026-05-21T08:00:00.000Z');
    const response = await fallbackWarning(HOSPITAL_2, { ...base, at: '2026-05-20T09:00:00.000Z' });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({ state: 'late', lateBy: { weekdays: 1 } });
  });

  it('refuses what cannot be a warning of this rule, each with the field at fault (422, 400, 403)', async () => {
    setClock('2026-05-21T08:00:00.000Z');
    const cases: [string, unknown, number, string, string][] = [
      [HOSPITAL_2, { ...base, rule: 'D10' }, 422, 'not-a-warning', '/body/rule'],
      [HOSPITAL_2, { ...base, rule: 'D99' }, 422, 'unknown-rule', '/body/rule'],
      [HOSPITAL_2, { ...base, channel: 'in-person' }, 422, 'channel-not-allowed', '/body/channel'],
      [HOSPITAL_2, { ...base, channel: 'pigeon' }, 400, 'invalid-request', '/body/channel'],
      [HOSPITAL_2, { rule: 'D2', receiver: MUNICIPALITY_2, patient: PATIENT, channel: 'phone' }, 422, 'reference-required', '/body/reference'],
      [HOSPITAL_2, { ...base, patient: '3213991234' }, 422, 'invalid-patient', '/body/patient'],
      [HOSPITAL_2, { ...base, receiver: '5790000009999' }, 422, 'unknown-endpoint', '/body/receiver'],
      [HOSPITAL_2, { ...base, at: '2026-05-22T08:00:00.000Z' }, 422, 'fulfilment-in-the-future', '/body/at'],
      [HOSPITAL_2, { ...base, sender: HOSPITAL }, 403, 'not-obliged', '/body/sender'],
      ['ops', { ...base, note: 'Ward phoned the municipality' }, 400, 'invalid-request', '/body/sender'],
      ['ops', { ...base, sender: HOSPITAL_2 }, 400, 'reason-required', '/body/note'],
    ];
    const before = await gw.db.query<{ n: number }>('SELECT count(*)::int AS n FROM deadlines');
    for (const [who, body, status, code, path] of cases) {
      const response = await fallbackWarning(who, body);
      expect(response.statusCode, `${JSON.stringify(body)}: ${response.body}`).toBe(status);
      expect(response.json(), JSON.stringify(body)).toMatchObject({ type: expect.stringMatching(new RegExp(`${code}$`)) });
      expect(response.json<{ errors?: { path: string }[] }>().errors?.[0]?.path, JSON.stringify(body)).toBe(path);
      expect(response.body).not.toContain(PATIENT);
    }
    const after = await gw.db.query<{ n: number }>('SELECT count(*)::int AS n FROM deadlines');
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
  });

  it('an operator records one for a hospital, with a reason in the audit log', async () => {
    setClock('2026-05-21T08:00:00.000Z');
    const response = await fallbackWarning('ops', { ...base, sender: HOSPITAL_2, channel: 'fax', at: '2026-05-18T15:00:00.000Z', note: 'Ward faxed the warning; EPJ was down' });
    expect(response.statusCode, response.body).toBe(201);
    const deadline = response.json<{ id: string }>();
    expect(deadline).toMatchObject({ state: 'on-time', channel: 'fax', fulfilmentRecorded: { by: 'Demo operator' } });
    const audit = (await auditActions()).find((a) => a.action === 'fallback-warning' && a.details.deadlineId === deadline.id);
    expect(audit).toMatchObject({ operator: 'Demo operator', reason: 'Ward faxed the warning; EPJ was down', details: { channel: 'fax', ruleId: 'D2', sender: HOSPITAL_2 } });
  });

  it('the compliance report counts MedCom and fallback fulfilments apart', async () => {
    setClock('2026-06-01T00:00:00.000Z');
    const response = await gw.request({ method: 'GET', url: '/api/v1/ops/deadlines/report?rule=D2&endpoint=5790000000029', headers: { authorization: 'Bearer demo-ops' } });
    expect(response.statusCode, response.body).toBe(200);
    const line = response.json<{ lines: Record<string, unknown>[] }>().lines.find((l) => l.obligedEan === HOSPITAL_2 && l.ruleId === 'D2');
    // By message: the on-time warning and the late ones nobody called about; by fallback: the phone call
    // before the late message and the three warnings with no message.
    expect(line).toMatchObject({ byFallback: 4, byReport: 0 });
    expect(line?.byMessage).toBe((line?.judged as number) - 4);
  });
});
