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
      expect(psychiatric.json<{ deadlines: DeadlineSummary[] }>().deadlines.map((d) => d.ruleId)).toEqual(['D21']);
    } finally {
      await agreed.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
