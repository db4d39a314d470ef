/**
 * Retraining-plan routing end to end, on real PostgreSQL and Redis: every copy receiver is its own
 * delivery with its own receipt; a plan that misses an obliged receiver is refused naming the rule and
 * leaves no trace; copies without the citizen's consent are withheld and the sender told; the agreement
 * profile (config/retraining-routing.json) turns rejections into warnings and asks for explicit consent.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage } from '../../src/codec/decode-message.js';
import {
  GP,
  HOSPITAL,
  HOSPITAL_2,
  MUNICIPALITY,
  MUNICIPALITY_2,
  fetchItems,
  leaseInbox,
  startTestGateway,
  testConfigDir,
  viewMessage,
  type TestGateway,
} from '../support/gateway.js';
import { retrainingPlan } from '../support/retraining-plan.js';

const PLAN = '/Emessage/RehabilitationPlan';
/** A private hospital under extended free choice and a self-paying one, added to the demo network for the profile tests. */
const PRIVATE_EXT = '5790000000081';
const SELF_PAY = '5790000000098';

interface Accepted {
  id: string;
  letters: { receiver: string; copies: string[] }[];
  warnings: { path: string; message: string; code?: string }[];
}

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors: { path: string; message: string; code?: string }[];
}

function accepted(response: LightMyRequestResponse): Accepted {
  expect(response.statusCode, response.body).toBe(202);
  return response.json<Accepted>();
}

function refused(response: LightMyRequestResponse): Problem {
  expect(response.statusCode, response.body).toBe(422);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  return response.json<Problem>();
}

/** Row counts of every table of the test's schema. */
async function rowCounts(gw: TestGateway): Promise<Record<string, number>> {
  const { rows } = await gw.db.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1");
  const counts: Record<string, number> = {};
  // `rejections` only counts refusals per minute, type and reason (no message data): the overview's figure.
  for (const { table_name: table } of rows.filter((r) => r.table_name !== 'rejections')) counts[table] = Number((await gw.db.query<{ n: string }>(`SELECT count(*) AS n FROM "${table}"`)).rows[0]?.n);
  return counts;
}

describe('demo network', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('a specialised plan with a CC and a GP copy: three deliveries, each with its own receipt, tracked in the timeline', async () => {
    const body = retrainingPlan({ id: 'RR1', from: HOSPITAL, to: HOSPITAL_2, cc: [MUNICIPALITY], type: 'ZZ0175Y' });
    const acceptance = accepted(await gw.post(HOSPITAL, body));
    expect(acceptance.letters).toEqual([{ letterId: 'RR1L', type: 'GGOP', receiver: HOSPITAL_2, copies: [MUNICIPALITY, GP] }]);
    expect(acceptance.warnings).toEqual([]);

    const answers: [string, 'receiver' | 'cc', Record<string, unknown>][] = [
      [HOSPITAL_2, 'receiver', { status: 'positive' }],
      [MUNICIPALITY, 'cc', { status: 'negative', refuseCode: 'ikke_specificeret', text: 'Borgeren bor ikke i kommunen' }],
      [GP, 'cc', { status: 'positive' }],
    ];
    const deliveryIds = new Map<string, string>();
    for (const [ean, role, answer] of answers) {
      const items = await leaseInbox(gw, ean);
      expect(items.map((i) => [i.messageId, i.role])).toEqual([[acceptance.id, role]]);
      const [fetched] = await fetchItems(gw, ean, items);
      expect(fetched?.rawPayload.equals(body)).toBe(true);
      expect((await gw.answer(ean, items[0]?.id as string, answer)).statusCode).toBe(200);
      deliveryIds.set(ean, items[0]?.id as string);
    }

    const view = await viewMessage(gw, HOSPITAL, acceptance.id);
    expect(view.deliveries.map((d) => [d.receiver, d.role, d.state, d.receipt?.kind, d.receipt?.refuseCode]).sort()).toEqual(
      [
        [HOSPITAL_2, 'receiver', 'acknowledged', 'positive', undefined],
        [MUNICIPALITY, 'cc', 'rejected', 'negative', 'ikke_specificeret'],
        [GP, 'cc', 'acknowledged', 'positive', undefined],
      ].sort(),
    );
    for (const [ean, deliveryId] of deliveryIds) {
      expect(view.deliveries.find((d) => d.receiver === ean)?.id).toBe(deliveryId);
      const kinds = view.timeline.filter((e) => e.deliveryId === deliveryId).map((e) => e.kind);
      expect(kinds, `timeline of the delivery to ${ean}`).toEqual(expect.arrayContaining(['leased', 'fetched', 'receipted']));
    }
    expect(view.timeline.filter((e) => e.kind === 'receipted').map((e) => e.deliveryId).sort()).toEqual([...deliveryIds.values()].sort());

    // Each receiver's answer reaches the sender as its own receipt, from that receiver.
    const receipts = await leaseInbox(gw, HOSPITAL, '?limit=10');
    expect(receipts.map((r) => [r.sender, r.letters[0]?.type]).sort()).toEqual(
      [
        [HOSPITAL_2, 'XCTL03'],
        [MUNICIPALITY, 'XCTL02'],
        [GP, 'XCTL03'],
      ].sort(),
    );
    for (const response of await fetchItems(gw, HOSPITAL, receipts)) {
      const decoded = decodeMessage(response.rawPayload);
      expect(decoded.ok && decoded.message.letters[0]?.body.receipt?.originalEnvelopeIdentifier).toBe('RR1');
    }
    // A copy receiver may look at the message too.
    expect((await viewMessage(gw, GP, acceptance.id)).deliveries).toHaveLength(3);
  });

  it('a plan missing an obliged receiver is refused naming the rule, and leaves no trace', async () => {
    const before = await rowCounts(gw);
    const body = retrainingPlan({ id: 'RR2', from: HOSPITAL, to: HOSPITAL_2, type: 'ZZ0175Y' });
    const problem = refused(await gw.post(HOSPITAL, body));
    expect(problem).toMatchObject({
      type: 'https://medcom-gateway.local/problems/misaddressed',
      status: 422,
      detail: expect.stringMatching(/^R-SPEC-OWN: a specialised retraining plan \(ZZ0175Y\) from Regionshospitalet Demo \(5790000000012\) must go to the citizen's municipality of residence/),
      errors: [{ path: `${PLAN}/CCReceiver`, code: 'R-SPEC-OWN', message: expect.stringMatching(/add it as CCReceiver$/) }],
    });
    expect(await rowCounts(gw)).toEqual(before);
    expect(await leaseInbox(gw, HOSPITAL_2)).toEqual([]);
    expect(await leaseInbox(gw, GP)).toEqual([]);

    // Corrected, with the same envelope identifier: nothing was reserved by the refusal.
    const fixed = accepted(await gw.post(HOSPITAL, retrainingPlan({ id: 'RR2', from: HOSPITAL, to: HOSPITAL_2, cc: [MUNICIPALITY], type: 'ZZ0175Y' })));
    expect(fixed.letters[0]?.copies).toEqual([MUNICIPALITY, GP]);
    for (const ean of [HOSPITAL_2, MUNICIPALITY, GP]) await fetchItems(gw, ean, await leaseInbox(gw, ean));
  });

  it('a copy without the citizen\'s consent is not delivered, and the sender is told in the 202 and the message view', async () => {
    const body = retrainingPlan({ id: 'RR3', from: HOSPITAL_2, to: MUNICIPALITY_2, consent: { [MUNICIPALITY_2]: true, [GP]: false } });
    const acceptance = accepted(await gw.post(HOSPITAL_2, body));
    const warning = { path: `${PLAN}/GPCCReceiver`, code: 'CONSENT-COPY', message: expect.stringMatching(/has not consented to the letter going to Lægehuset Demo \(5790000000050\).*the copy was not delivered$/) };
    expect(acceptance.warnings).toEqual([warning]);
    expect(acceptance.letters[0]?.copies).toEqual([]);
    expect(await leaseInbox(gw, GP)).toEqual([]);
    const view = await viewMessage(gw, HOSPITAL_2, acceptance.id);
    expect(view.deliveries.map((d) => [d.receiver, d.role])).toEqual([[MUNICIPALITY_2, 'receiver']]);
    expect((view as unknown as Accepted).warnings).toEqual([warning]);
    await fetchItems(gw, MUNICIPALITY_2, await leaseInbox(gw, MUNICIPALITY_2));
  });

  it('no consent for the Receiver: refused, nothing sent', async () => {
    const before = await rowCounts(gw);
    const problem = refused(await gw.post(HOSPITAL_2, retrainingPlan({ id: 'RR4', from: HOSPITAL_2, to: MUNICIPALITY_2, consent: { [MUNICIPALITY_2]: false } })));
    expect(problem.detail).toMatch(/^CONSENT-RECEIVER: the citizen has not consented/);
    expect(problem.errors).toEqual([{ path: `${PLAN}/Receiver/EANIdentifier`, code: 'CONSENT-RECEIVER', message: expect.stringMatching(/nothing was sent/) }]);
    expect(await rowCounts(gw)).toEqual(before);
  });

  it('specialised plan, the citizen refuses the municipality copy: refused (retraining cannot start without it)', async () => {
    const problem = refused(await gw.post(HOSPITAL, retrainingPlan({ id: 'RR5', from: HOSPITAL, to: HOSPITAL_2, cc: [MUNICIPALITY], type: 'ZZ0175Y', consent: { [MUNICIPALITY]: false } })));
    expect(problem.errors.map((e) => [e.code, e.path])).toEqual([['CONSENT-SPEC-MUNICIPALITY', `${PLAN}/CCReceiver`]]);
  });

  it('a plan without a GP copy is accepted with a warning (R-GP-COPY warns by default)', async () => {
    const acceptance = accepted(await gw.post(HOSPITAL_2, retrainingPlan({ id: 'RR6', from: HOSPITAL_2, to: MUNICIPALITY_2, gp: null })));
    expect(acceptance.warnings).toEqual([{ path: `${PLAN}/GPCCReceiver`, code: 'R-GP-COPY', message: expect.stringMatching(/names no GP/) }]);
    await fetchItems(gw, MUNICIPALITY_2, await leaseInbox(gw, MUNICIPALITY_2));
  });

  it('the OpenAPI document lists the misaddressed problem and the warning code', async () => {
    const doc = (await gw.request({ method: 'GET', url: '/docs/json' })).body;
    expect(doc).toContain('`misaddressed` (422)');
    expect(doc).toMatch(/"warnings":\{"type":"array","description":"[^"]*`code` names the rule/);
  });
});

describe('with an agreement profile and private hospitals', () => {
  let gw: TestGateway;
  let config: { dir: string; remove(): void };
  beforeAll(async () => {
    config = testConfigDir((c) => {
      const privateHospital = (ean: string, name: string, hospitalKind: string) => ({ ean, kind: 'hospital', name, hospitalKind, accepts: ['XCTL01', 'XCTL02', 'XCTL03'], delivery: { mode: 'pull' } });
      c.endpoints.push(privateHospital(PRIVATE_EXT, 'Privathospitalet Demo', 'PRIVATE_EXTENDED_FREE_CHOICE'), privateHospital(SELF_PAY, 'Klinik Egenbetaling Demo', 'PRIVATE_SELF_PAY'));
    });
    writeFileSync(
      join(config.dir, 'retraining-routing.json'),
      JSON.stringify({
        consent: { bySender: { [HOSPITAL_2]: 'explicit' } },
        profiles: [{ id: 'vest-nord', appliesTo: { hospitalEan: HOSPITAL, municipalityEan: MUNICIPALITY }, actions: { 'R-ORD-OWN': 'warn' } }],
      }),
    );
    gw = await startTestGateway({ env: { MEDCOM_CONFIG_DIR: config.dir } });
  });
  afterAll(async () => {
    await gw?.close();
    config?.remove();
  });

  it('a pair profile accepts, with a warning, what the default rejects; the plan goes where addressed', async () => {
    const acceptance = accepted(await gw.post(HOSPITAL, retrainingPlan({ id: 'RP1', from: HOSPITAL, to: MUNICIPALITY, cc: [HOSPITAL_2] })));
    expect(acceptance.warnings).toEqual([{ path: `${PLAN}/CCReceiver`, code: 'R-ORD-OWN', message: expect.stringMatching(/Universitetshospitalet Demo.* must not receive it: remove it \(accepted with a warning by the agreement profile "vest-nord"\)$/) }]);
    expect(acceptance.letters[0]?.copies).toEqual([HOSPITAL_2, GP]);
    for (const ean of [MUNICIPALITY, HOSPITAL_2, GP]) expect((await fetchItems(gw, ean, await leaseInbox(gw, ean))).length).toBe(1);

    // Another municipality: the profile does not apply.
    expect(refused(await gw.post(HOSPITAL, retrainingPlan({ id: 'RP2', from: HOSPITAL, to: MUNICIPALITY_2, cc: [HOSPITAL_2] }))).errors.map((e) => e.code)).toEqual(['R-ORD-OWN']);
  });

  it('a sender asked for explicit consent: nothing stated is refused; the GP without a statement is withheld', async () => {
    expect(refused(await gw.post(HOSPITAL_2, retrainingPlan({ id: 'RP3', from: HOSPITAL_2, to: MUNICIPALITY_2 }))).errors.map((e) => e.code)).toEqual(['CONSENT-RECEIVER']);
    const acceptance = accepted(await gw.post(HOSPITAL_2, retrainingPlan({ id: 'RP4', from: HOSPITAL_2, to: MUNICIPALITY_2, consent: { [MUNICIPALITY_2]: true } })));
    expect(acceptance.warnings.map((w) => [w.code, w.path])).toEqual([['CONSENT-COPY', `${PLAN}/GPCCReceiver`]]);
    expect(acceptance.letters[0]?.copies).toEqual([]);
    await fetchItems(gw, MUNICIPALITY_2, await leaseInbox(gw, MUNICIPALITY_2));
  });

  it('a private hospital under extended free choice sends a specialised plan to the home hospital, with copies to the municipality and the GP', async () => {
    const acceptance = accepted(await gw.post(PRIVATE_EXT, retrainingPlan({ id: 'RP5', from: PRIVATE_EXT, to: HOSPITAL_2, cc: [MUNICIPALITY], type: 'ZZ0175Y' })));
    expect(acceptance.letters[0]).toMatchObject({ receiver: HOSPITAL_2, copies: [MUNICIPALITY, GP] });
    for (const ean of [HOSPITAL_2, MUNICIPALITY, GP]) await fetchItems(gw, ean, await leaseInbox(gw, ean));
    // … and not to the municipality alone.
    expect(refused(await gw.post(PRIVATE_EXT, retrainingPlan({ id: 'RP6', from: PRIVATE_EXT, to: MUNICIPALITY, type: 'ZZ0175Y' }))).errors.map((e) => e.code)).toEqual(['R-SPEC-PRIV']);
  });

  it('a self-paying private hospital may not send a plan at all', async () => {
    const problem = refused(await gw.post(SELF_PAY, retrainingPlan({ id: 'RP7', from: SELF_PAY, to: MUNICIPALITY })));
    expect(problem.errors).toEqual([{ path: `${PLAN}/Sender`, code: 'R-SELF-PAY', message: expect.stringMatching(/may not issue a retraining plan/) }]);
  });
});
