/**
 * An explicit fulfilment (D7: the municipality's first contact) is the obliged endpoint's word on when
 * it acted, so the gateway bounds the claim: never before the deadline started, never turning a breach
 * into "on time", and always recorded with who said it and when, beside the time it claims.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDeadlineBreach } from '../../src/app/deadline-tracking.js';
import { copenhagenLocal } from '../../src/domain/danish-time.js';
import { HOSPITAL_2, MUNICIPALITY_2, fixture, renumber, startTestGateway, statingAgreedFirstContact, type TestGateway } from '../support/gateway.js';

let gw: TestGateway;
let serial = 0;

beforeAll(async () => {
  gw = await startTestGateway({ workers: false });
});

afterAll(async () => {
  await gw?.close();
});

function at(iso: string): void {
  gw.clock.advance(new Date(iso).getTime() - gw.clock.now().getTime());
}

/** The fixture retraining plan (HOSPITAL_2 → MUNICIPALITY_2, which it obliges to D7) under new identifiers. */
async function startD7(): Promise<{ id: string; startedAt: string }> {
  serial += 1;
  // The plan's D7 counts from the later of its arrival and the episode's discharge: discharged just before.
  let advice = fixture('XDIS17_discharge_home.xml').toString('utf8');
  advice = advice.replace(/(<Sender>\s*<EANIdentifier>)[^<]*/, `$1${HOSPITAL_2}`).replace(/(<AnswerTo>\s*<EANIdentifier>)[^<]*/, `$1${HOSPITAL_2}`);
  advice = advice.replace(/(<Receiver>\s*<EANIdentifier>)[^<]*/, `$1${MUNICIPALITY_2}`).replace(/(<CivilRegistrationNumber>)[^<]*/, '$11507381236');
  const discharged = copenhagenLocal(new Date(gw.clock.now().getTime() - 3_600_000));
  advice = advice.replace(/(<Discharge>\s*<Date>)[^<]*(<\/Date>\s*<Time>)[^<]*/, `$1${discharged.date}$2${discharged.time.slice(0, 5)}`);
  const posted0 = await gw.post(HOSPITAL_2, renumber(Buffer.from(advice, 'utf8'), { envelope: `FULDIS${serial}`, letter: `FULDISL${serial}` }));
  expect(posted0.statusCode, posted0.body).toBe(202);
  const posted = await gw.post(HOSPITAL_2, renumber(statingAgreedFirstContact(fixture('GGOP_rehabilitation_plan.xml'), gw.clock.now()), { envelope: `FULFIL${serial}`, letter: `FULFILL${serial}` }));
  expect(posted.statusCode, posted.body).toBe(202);
  const d7 = posted.json<{ deadlines: { id: string; ruleId: string }[] }>().deadlines.find((d) => d.ruleId === 'D7');
  expect(d7).toBeDefined();
  const view = await gw.get(MUNICIPALITY_2, `/api/v1/deadlines/${d7?.id}`);
  return { id: d7?.id as string, startedAt: view.json<{ startedAt: string }>().startedAt };
}

function fulfil(id: string, body: unknown) {
  return gw.request({
    method: 'POST',
    url: `/api/v1/deadlines/${id}/fulfil`,
    headers: { authorization: `Bearer demo-${MUNICIPALITY_2}`, 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
}

async function breachTimer(deadlineId: string): Promise<number> {
  const { rows } = await gw.db.query<{ id: number }>("SELECT id FROM outbox WHERE deadline_id = $1 AND kind = 'deadline-breach'", [deadlineId]);
  return Number(rows[0]?.id);
}

describe('POST /api/v1/deadlines/{id}/fulfil bounds what it is told', () => {
  it('refuses an "at" before the deadline started (422), the epoch included, and records nothing', async () => {
    at('2026-06-01T09:00:00.000Z');
    const d7 = await startD7();
    at('2026-06-02T09:00:00.000Z');
    for (const claimed of ['1970-01-01T00:00:00Z', new Date(new Date(d7.startedAt).getTime() - 1).toISOString()]) {
      const response = await fulfil(d7.id, { at: claimed });
      expect(response.statusCode, response.body).toBe(422);
      expect(response.json()).toMatchObject({ type: expect.stringMatching(/fulfilment-before-start$/), errors: [{ path: '/body/at' }] });
    }
    expect((await gw.get(MUNICIPALITY_2, `/api/v1/deadlines/${d7.id}`)).json()).toMatchObject({ state: 'pending', fulfilledAt: null, fulfilmentRecorded: null });
    // At the very start it is accepted.
    expect((await fulfil(d7.id, { at: d7.startedAt })).json()).toMatchObject({ state: 'on-time', fulfilledAt: d7.startedAt });
  });

  it('keeps a breached deadline late, whatever earlier time the fulfilment claims', async () => {
    at('2026-06-08T09:00:00.000Z');
    const d7 = await startD7();
    at('2026-06-20T09:00:00.000Z');
    expect((await runDeadlineBreach(gw.gateway.context(), await breachTimer(d7.id))).outcome).toBe('breached');
    const claimed = new Date(new Date(d7.startedAt).getTime() + 3_600_000).toISOString();
    const response = await fulfil(d7.id, { at: claimed });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ state: 'late', fulfilledAt: claimed, lateBy: expect.anything() });
  });

  it('records who recorded the fulfilment and when, apart from the time it claims', async () => {
    at('2026-07-06T09:00:00.000Z');
    const d7 = await startD7();
    at('2026-07-07T15:30:00.000Z');
    const response = await fulfil(d7.id, { at: '2026-07-07T08:00:00Z' });
    expect(response.statusCode, response.body).toBe(200);
    const expected = { state: 'on-time', fulfilledAt: '2026-07-07T08:00:00.000Z', fulfilmentRecorded: { at: '2026-07-07T15:30:00.000Z', by: MUNICIPALITY_2 } };
    expect(response.json()).toMatchObject(expected);
    expect((await gw.get(HOSPITAL_2, `/api/v1/deadlines/${d7.id}`)).json()).toMatchObject(expected);
  });
});
