/**
 * The deadline rules' second pass through the whole gateway (POST /api/v1/messages on real PostgreSQL
 * and Redis): who D7 obliges, the plan's own first-contact date (D7/D16), and the scope of D28 and the
 * regional XDIS16 rule. Each test names the seed line it follows.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPackageRoot } from '../../src/package-root.js';
import type { DeadlineSummary } from '../../src/store/records.js';
import { HOSPITAL, HOSPITAL_2, MUNICIPALITY_2, fixture, renumber, startTestGateway, type TestGateway } from '../support/gateway.js';

let gw: TestGateway;
let counter = 0;

function ids(): { envelope: string; letter: string } {
  counter += 1;
  return { envelope: `OBL${String(counter).padStart(5, '0')}`, letter: `OBLL${String(counter).padStart(5, '0')}` };
}

function setClock(iso: string): void {
  gw.clock.advance(new Date(iso).getTime() - gw.clock.now().getTime());
}

/** The fixture plan (HOSPITAL_2 → MUNICIPALITY_2, GP copy) with the given type and first-contact date (none: removed). */
function plan(opts: { type: 'ZZ0175X' | 'ZZ0175Y'; firstContactBy?: string; patient?: string }): Buffer {
  let text = fixture('GGOP_rehabilitation_plan.xml').toString('utf8');
  text = text.replace(/(<TypeOfRehabilitationPlan>)[^<]*/, `$1${opts.type}`);
  if (opts.patient) text = text.replace(/(<m0:CivilRegistrationNumber>)[^<]*/, `$1${opts.patient}`);
  text =
    opts.firstContactBy === undefined
      ? text.replace(/<RehabilitationDeadline>[\s\S]*?<\/RehabilitationDeadline>\s*/, '')
      : text.replace(/(<RehabilitationDeadline>\s*<m0:Date>)[^<]*/, `$1${opts.firstContactBy}`);
  return renumber(Buffer.from(text, 'utf8'), ids());
}

/** The fixture plan's patient. */
const PLAN_PATIENT = '1507381236';

/** A discharge advice (XDIS17) from HOSPITAL_2 to MUNICIPALITY_2 for the plan's patient, discharged at `date` `time` (Copenhagen). */
function dischargeAdvice(date: string, time = '10:00', patient = PLAN_PATIENT): Buffer {
  let text = fixture('XDIS17_discharge_home.xml').toString('utf8');
  text = text.replace(/(<Sender>\s*<EANIdentifier>)[^<]*/, `$1${HOSPITAL_2}`).replace(/(<AnswerTo>\s*<EANIdentifier>)[^<]*/, `$1${HOSPITAL_2}`);
  text = text.replace(/(<Receiver>\s*<EANIdentifier>)[^<]*/, `$1${MUNICIPALITY_2}`);
  text = text.replace(/(<CivilRegistrationNumber>)[^<]*/, `$1${patient}`);
  text = text.replace(/(<Discharge>\s*<Date>)[^<]*(<\/Date>\s*<Time>)[^<]*/, `$1${date}$2${time}`);
  return renumber(Buffer.from(text, 'utf8'), ids());
}

async function accept(sender: string, body: Buffer): Promise<DeadlineSummary[]> {
  const response = await gw.post(sender, body);
  expect(response.statusCode, response.body).toBe(202);
  return response.json<{ deadlines: DeadlineSummary[] }>().deadlines;
}

function one(deadlines: readonly DeadlineSummary[], ruleId: string): DeadlineSummary {
  const found = deadlines.filter((d) => d.ruleId === ruleId);
  expect(found, JSON.stringify(deadlines)).toHaveLength(1);
  return found[0] as DeadlineSummary;
}

function fulfil(who: string, id: string, body: unknown) {
  return gw.request({
    method: 'POST',
    url: `/api/v1/deadlines/${id}/fulfil`,
    headers: { authorization: `Bearer demo-${who}`, 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
}

beforeAll(async () => {
  gw = await startTestGateway({ workers: false });
});

afterAll(async () => {
  await gw?.close();
});

describe('D7 obliges the party that performs the retraining (004 L2369–2373: "bopælskommunen (ved almindelig …) eller hospitalet (ved specialiseret ambulant genoptræning)")', () => {
  it('a specialised plan (ZZ0175Y, R-SPEC-OWN) from the hospital to the municipality obliges the hospital; it, not the municipality, reports the first contact', async () => {
    setClock('2026-03-09T07:00:00.000Z');
    await accept(HOSPITAL_2, dischargeAdvice('2026-03-09', '08:00'));
    setClock('2026-03-09T08:00:00.000Z');
    const d7 = one(await accept(HOSPITAL_2, plan({ type: 'ZZ0175Y', firstContactBy: '2026-03-12' })), 'D7');
    expect(d7).toMatchObject({ state: 'pending', obligedEan: HOSPITAL_2, dueAt: '2026-03-12T22:59:59.999Z' });
    setClock('2026-03-10T12:00:00.000Z');
    const byMunicipality = await fulfil(MUNICIPALITY_2, d7.id, { at: '2026-03-10T09:00:00Z' });
    expect(byMunicipality.statusCode, byMunicipality.body).toBe(403);
    const byHospital = await fulfil(HOSPITAL_2, d7.id, { at: '2026-03-10T09:00:00Z', note: 'Indkaldt til første træning' });
    expect(byHospital.statusCode, byHospital.body).toBe(200);
    expect(byHospital.json()).toMatchObject({ state: 'on-time', fulfilmentRecorded: { by: HOSPITAL_2 } });
  });

  it('an ordinary plan (ZZ0175X) obliges the municipality', async () => {
    setClock('2026-03-09T08:00:00.000Z');
    expect(one(await accept(HOSPITAL_2, plan({ type: 'ZZ0175X', firstContactBy: '2026-03-12' })), 'D7').obligedEan).toBe(MUNICIPALITY_2);
  });
});

describe('the plan\'s own first-contact date (002 L254: "skal angive det seneste tidspunkt for bopælskommunens første kontakt")', () => {
  it('an earlier RehabilitationDeadline is the limit D7 is judged by', async () => {
    setClock('2026-03-16T07:00:00.000Z');
    await accept(HOSPITAL_2, dischargeAdvice('2026-03-16', '08:00'));
    setClock('2026-03-16T08:00:00.000Z');
    const d7 = one(await accept(HOSPITAL_2, plan({ type: 'ZZ0175X', firstContactBy: '2026-03-17' })), 'D7');
    expect(d7).toMatchObject({ state: 'pending', dueAt: '2026-03-17T22:59:59.999Z' });
    setClock('2026-03-19T08:00:00.000Z');
    // Within the agreement's 3 weekdays (Thursday), but after the plan's own date: late by one weekday.
    const done = await fulfil(MUNICIPALITY_2, d7.id, { at: '2026-03-18T09:00:00Z' });
    expect(done.json()).toMatchObject({ state: 'late', lateBy: { calendarDays: 1 } });
  });

  it('a missing or later date is a D16 warning on the delivered plan; D7 keeps the agreement\'s 3 weekdays (002 L262)', async () => {
    setClock('2026-03-16T08:00:00.000Z');
    const missing = await accept(HOSPITAL_2, plan({ type: 'ZZ0175X' }));
    expect(one(missing, 'D16')).toMatchObject({ state: 'validation-warning', obligedEan: HOSPITAL_2, reason: expect.stringMatching(/states no RehabilitationDeadline/) });
    expect(one(missing, 'D7').dueAt).toBe('2026-03-19T22:59:59.999Z');
    const later = await accept(HOSPITAL_2, plan({ type: 'ZZ0175Y', firstContactBy: '2026-03-31' }));
    expect(one(later, 'D16').reason).toMatch(/later than the agreement allows/);
    expect(one(later, 'D7').dueAt).toBe('2026-03-19T22:59:59.999Z');
  });
});

describe('RM-XDIS16-24H is a local agreement, not in the default Region Midtjylland set (no seed gives the admission report a limit)', () => {
  const admission = (psychiatric: boolean) => {
    let text = fixture('XDIS20_admission_acute.xml').toString('utf8').replace(/(<Admission>\s*<Date>)[^<]*/, '$12026-03-10');
    if (psychiatric) {
      text = text.replace('</Emessage>', '<Local_Elements><gw:Gateway xmlns:gw="urn:medcom-gateway:extension:1"><gw:Psychiatric>true</gw:Psychiatric></gw:Gateway></Local_Elements></Emessage>');
    }
    return renumber(Buffer.from(text, 'utf8'), ids());
  };

  it('an admission advice under the default rules starts D19 only', async () => {
    setClock('2026-03-10T08:00:00.000Z');
    expect((await accept(HOSPITAL, admission(false))).map((d) => d.ruleId)).toEqual(['D19']);
  });

  it('a profile that agreed it enables it; a psychiatric admission still does not start it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medcom-xdis16-'));
    writeFileSync(join(dir, 'endpoints.json'), readFileSync(fromPackageRoot('config', 'endpoints.json')));
    const rules = JSON.parse(readFileSync(fromPackageRoot('config', 'deadline-rules.json'), 'utf8')) as { profiles: unknown[] };
    rules.profiles = [{ id: 'xdis16-agreed', appliesTo: { hospitalEan: HOSPITAL }, overrides: { 'RM-XDIS16-24H': { enabled: true } } }];
    writeFileSync(join(dir, 'deadline-rules.json'), JSON.stringify(rules));
    const agreed = await startTestGateway({ workers: false, env: { MEDCOM_CONFIG_DIR: dir } });
    try {
      agreed.clock.advance(new Date('2026-03-10T08:00:00.000Z').getTime() - agreed.clock.now().getTime());
      const somatic = await agreed.post(HOSPITAL, admission(false));
      expect(somatic.statusCode, somatic.body).toBe(202);
      const started = somatic.json<{ deadlines: DeadlineSummary[] }>().deadlines;
      expect(started.map((d) => d.ruleId)).toEqual(['D19', 'RM-XDIS16-24H']);
      expect(one(started, 'RM-XDIS16-24H')).toMatchObject({ state: 'pending', profiles: ['xdis16-agreed'] });
      const psychiatric = await agreed.post(HOSPITAL, admission(true));
      expect(psychiatric.json<{ deadlines: DeadlineSummary[] }>().deadlines.map((d) => d.ruleId)).toEqual(['D21', 'D21-GP']);
    } finally {
      await agreed.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('D7 counts from the episode\'s discharge, not from a plan sent days before it (004 L2375–2377: "senest 3 hverdage efter, at borgeren og kommunen/hospitalet har modtaget genoptræningsplanen")', () => {
  it('a plan before any discharge waits; the discharge advice starts it, counted from the discharge; a first contact reported meanwhile is judged then', async () => {
    const patient = '1103601234';
    setClock('2026-04-20T08:00:00.000Z');
    const waiting = one(await accept(HOSPITAL_2, plan({ type: 'ZZ0175X', firstContactBy: '2026-04-29', patient })), 'D7');
    expect(waiting).toMatchObject({ state: 'awaiting-start', obligedEan: MUNICIPALITY_2, reason: expect.stringMatching(/no discharge of its episode has been seen yet/) });
    expect(waiting.dueAt).toBeUndefined();
    const timers = await gw.db.query("SELECT id FROM outbox WHERE deadline_id = $1 AND kind = 'deadline-breach'", [waiting.id]);
    expect(timers.rows).toHaveLength(0);

    // Discharged Friday 2026-04-24 at 10:00: the first contact is due by the end of Wednesday 2026-04-29.
    setClock('2026-04-24T09:00:00.000Z');
    const started = await accept(HOSPITAL_2, dischargeAdvice('2026-04-24', '10:00', patient));
    const d7 = started.find((d) => d.id === waiting.id);
    expect(d7, JSON.stringify(started)).toMatchObject({ effect: 'started', ruleId: 'D7', state: 'pending', dueAt: '2026-04-29T21:59:59.999Z', reference: '2026-04-24' });
    expect(d7?.note).toMatch(/counted from the XDIS17 Discharge 2026-04-24 of the same episode/);
    const view = await gw.get(MUNICIPALITY_2, `/api/v1/deadlines/${waiting.id}`);
    expect(view.json()).toMatchObject({ state: 'pending', dueAt: '2026-04-29T21:59:59.999Z' });
    const timer = await gw.db.query<{ due_at: Date }>("SELECT due_at FROM outbox WHERE deadline_id = $1 AND kind = 'deadline-breach'", [waiting.id]);
    expect(new Date((timer.rows[0] as { due_at: Date }).due_at).toISOString()).toBe('2026-04-29T21:59:59.999Z');
  });

  it('a first contact reported before the discharge is known is judged when the discharge comes', async () => {
    const patient = '2103601234';
    setClock('2026-04-20T08:00:00.000Z');
    const waiting = one(await accept(HOSPITAL_2, plan({ type: 'ZZ0175X', firstContactBy: '2026-04-30', patient })), 'D7');
    setClock('2026-04-21T08:00:00.000Z');
    const early = await fulfil(MUNICIPALITY_2, waiting.id, { at: '2026-04-21T07:00:00Z', note: 'Ringet op' });
    expect(early.statusCode, early.body).toBe(200);
    expect(early.json()).toMatchObject({ state: 'awaiting-start', fulfilledAt: '2026-04-21T07:00:00.000Z' });
    setClock('2026-04-27T08:00:00.000Z');
    const started = await accept(HOSPITAL_2, dischargeAdvice('2026-04-27', '09:00', patient));
    expect(started.find((d) => d.id === waiting.id)).toMatchObject({ state: 'on-time' });
    expect((await gw.get(MUNICIPALITY_2, `/api/v1/deadlines/${waiting.id}`)).json()).toMatchObject({ state: 'on-time', fulfilledAt: '2026-04-21T07:00:00.000Z' });
  });

  it('a discharge already known: the plan is judged from it at once, not left waiting (the one-statement insert holds it back for correlation)', async () => {
    const patient = '0403601234';
    setClock('2026-04-24T09:00:00.000Z');
    await accept(HOSPITAL_2, dischargeAdvice('2026-04-24', '10:00', patient));
    setClock('2026-04-27T08:00:00.000Z');
    const d7 = one(await accept(HOSPITAL_2, plan({ type: 'ZZ0175X', firstContactBy: '2026-05-29', patient })), 'D7');
    expect(d7).toMatchObject({ state: 'pending', obligedEan: MUNICIPALITY_2 });
    expect(d7.dueAt, JSON.stringify(d7)).toBe('2026-04-30T21:59:59.999Z');
    const timer = await gw.db.query("SELECT id FROM outbox WHERE deadline_id = $1 AND kind = 'deadline-breach'", [d7.id]);
    expect(timer.rows).toHaveLength(1);
  });

  it('a discharge of another patient starts nothing', async () => {
    const patient = '3103601234';
    setClock('2026-04-20T08:00:00.000Z');
    const waiting = one(await accept(HOSPITAL_2, plan({ type: 'ZZ0175X', firstContactBy: '2026-04-30', patient })), 'D7');
    setClock('2026-04-22T08:00:00.000Z');
    await accept(HOSPITAL_2, dischargeAdvice('2026-04-22', '09:00', '0101501234'));
    expect((await gw.get(MUNICIPALITY_2, `/api/v1/deadlines/${waiting.id}`)).json()).toMatchObject({ state: 'awaiting-start' });
  });
});

describe('D21 and D21-GP through the gateway (004 L6153–6159: "senest den førstkommende hverdag … Den praktiserende læge orienteres tilsvarende")', () => {
  const psychiatricAdmission = (date: string) => {
    const text = fixture('XDIS20_admission_acute.xml')
      .toString('utf8')
      .replace(/(<Admission>\s*<Date>)[^<]*/, `$1${date}`)
      .replace('</Emessage>', '<Local_Elements><gw:Gateway xmlns:gw="urn:medcom-gateway:extension:1"><gw:Psychiatric>true</gw:Psychiatric></gw:Gateway></Local_Elements></Emessage>');
    return renumber(Buffer.from(text, 'utf8'), ids());
  };

  it('a Monday admission advised on Tuesday is late; the GP notice waits for the ward\'s report, made by phone the next day (late too)', async () => {
    setClock('2026-03-10T08:00:00.000Z');
    const started = await accept(HOSPITAL, psychiatricAdmission('2026-03-09'));
    expect(one(started, 'D21')).toMatchObject({ state: 'late', dueAt: '2026-03-09T22:59:59.999Z', lateBy: { weekdays: 1 } });
    const gp = one(started, 'D21-GP');
    expect(gp).toMatchObject({ state: 'pending', obligedEan: HOSPITAL, dueAt: '2026-03-09T22:59:59.999Z' });
    setClock('2026-03-10T10:00:00.000Z');
    expect((await fulfil(MUNICIPALITY_2, gp.id, { at: '2026-03-10T09:00:00Z' })).statusCode).toBe(404);
    const reported = await fulfil(HOSPITAL, gp.id, { at: '2026-03-10T09:00:00Z', note: 'Egen læge orienteret telefonisk' });
    expect(reported.statusCode, reported.body).toBe(200);
    expect(reported.json()).toMatchObject({ state: 'late', lateBy: { weekdays: 1 }, fulfilmentNote: 'Egen læge orienteret telefonisk' });
  });
});

describe('D23 through the gateway (004 L6225–6229: "orienteres skriftligt om udskrivning … senest efter 7 dage")', () => {
  it('a psychiatric discharge advice obliges the ward to report the GP letter within 7 days', async () => {
    setClock('2026-05-04T08:00:00.000Z');
    const advice = dischargeAdvice('2026-05-04', '09:00', '0505501234')
      .toString('utf8')
      .replace('</Emessage>', '<Local_Elements><gw:Gateway xmlns:gw="urn:medcom-gateway:extension:1"><gw:Psychiatric>true</gw:Psychiatric></gw:Gateway></Local_Elements></Emessage>');
    const d23 = one(await accept(HOSPITAL_2, Buffer.from(advice, 'utf8')), 'D23');
    expect(d23).toMatchObject({ state: 'pending', obligedEan: HOSPITAL_2, dueAt: '2026-05-11T21:59:59.999Z' });
    setClock('2026-05-08T08:00:00.000Z');
    const reported = await fulfil(HOSPITAL_2, d23.id, { at: '2026-05-07T12:00:00Z', note: 'Udskrivningsbrev sendt til egen læge' });
    expect(reported.json()).toMatchObject({ state: 'on-time' });
  });
});
