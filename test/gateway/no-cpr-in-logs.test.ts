/**
 * No CPR number ever reaches a log line (DESIGN.md, quality bars). A whole gateway logs at `trace`
 * into memory while valid and invalid messages go through it — every fixture, invalid CPR numbers, bad
 * XML around a CPR number, CPR numbers in URLs, headers, request ids, JSON answers and identifiers,
 * and a request that ends in a 500 — and then no line may contain the CPR number of any fixture
 * (every 10-digit `CivilRegistrationNumber` in `fixtures/`), neither as written nor behind a JSON
 * escape. (The gateway writes its log to stdout only; there are no log files to scan.)
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging.js';
import { fromPackageRoot } from '../../src/package-root.js';
import {
  ENDPOINTS,
  HOSPITAL,
  MUNICIPALITY,
  fetchItems,
  fixture,
  leaseInbox,
  renumber,
  senderEanOf,
  startTestGateway,
  type TestGateway,
} from '../support/gateway.js';

const lines: string[] = [];
let gw: TestGateway;

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]));
}

/** The CPR numbers of the fixtures: every CivilRegistrationNumber of ten digits (also when written DDMMYY-SSSS). */
const CPRS = [
  ...new Set(
    filesUnder(fromPackageRoot('fixtures'))
      .filter((file) => file.endsWith('.xml'))
      .flatMap((file) => [...readFileSync(file, 'latin1').matchAll(/<(?:[\w.-]+:)?CivilRegistrationNumber>\s*([^<]*?)\s*</g)].map((m) => (m[1] as string).replace(/^(\d{6})-(\d{4})$/, '$1$2')))
      .filter((value) => /^\d{10}$/.test(value)),
  ),
];
const A_CPR = '0101501234';

/** Where a CPR number (in `cprs`) shows in `line`, as written or hyphenated, in the raw text or in any decoded JSON value. */
function cprsIn(line: string): string[] {
  const texts = [line];
  try {
    const walk = (value: unknown): void => {
      if (typeof value === 'string') texts.push(value);
      else if (typeof value === 'number') texts.push(String(value));
      else if (value && typeof value === 'object')
        for (const [key, item] of Object.entries(value)) {
          texts.push(key);
          walk(item);
        }
    };
    walk(JSON.parse(line));
  } catch {
    // not JSON: the raw text is checked
  }
  return CPRS.filter((cpr) => texts.some((text) => text.includes(cpr) || text.includes(`${cpr.slice(0, 6)}-${cpr.slice(6)}`)));
}

beforeAll(async () => {
  gw = await startTestGateway({
    env: { LOG_LEVEL: 'trace' },
    logger: createLogger({ level: 'trace' }, { write: (line: string) => void lines.push(line) }),
  });
});

afterAll(async () => {
  await gw?.close();
});

const withCpr = (body: Buffer, cpr: string): Buffer =>
  Buffer.from(body.toString('latin1').replace(/(<(?:[\w.-]+:)?CivilRegistrationNumber>)[^<]*(<)/, `$1${cpr}$2`), 'latin1');

describe('a run through valid and invalid messages', () => {
  it('collects the fixtures\' CPR numbers', () => {
    expect(CPRS).toContain(A_CPR);
    expect(CPRS.length).toBeGreaterThanOrEqual(6);
  });

  it('every valid fixture, from its own sender, taken and answered', async () => {
    for (const name of readdirSync(fromPackageRoot('fixtures', 'valid')).filter((f) => f.endsWith('.xml')).sort()) {
      const body = fixture(name);
      const response = await gw.post(senderEanOf(body), body, /windows-1252/.test(name) ? 'application/xml; charset=windows-1252' : 'application/xml');
      expect(response.statusCode, name).toBeLessThan(500);
    }
    for (const ean of ENDPOINTS) {
      const items = await leaseInbox(gw, ean, '?limit=100');
      await fetchItems(gw, ean, items);
      for (const [i, item] of items.entries()) {
        // A JSON answer whose free text names the patient: it goes into the XCTL02, never into a log.
        const answer = i % 2 === 0 ? { status: 'positive' } : { status: 'negative', refuseCode: 'problem_med_modtagerID', text: `Borger ${A_CPR} (${A_CPR.slice(0, 6)}-${A_CPR.slice(6)}) kendes ikke` };
        expect((await gw.answer(ean, item.id, answer)).statusCode).toBeLessThan(500);
      }
    }
  });

  it('every invalid fixture, from the sender it names and from someone else', async () => {
    for (const name of readdirSync(fromPackageRoot('fixtures', 'invalid')).filter((f) => f.endsWith('.xml')).sort()) {
      const body = readFileSync(fromPackageRoot('fixtures', 'invalid', name));
      let sender = HOSPITAL;
      try {
        sender = senderEanOf(body);
      } catch {
        // no sender to be found: the hospital sends it
      }
      for (const ean of new Set([sender, MUNICIPALITY])) {
        const response = await gw.post(ean, body);
        expect(response.statusCode, name).toBeGreaterThanOrEqual(400);
        expect(response.statusCode, name).toBeLessThan(500);
      }
    }
  });

  it('messages that are wrong right where the CPR number is', async () => {
    let n = 0;
    const fresh = (name: string): Buffer => renumber(name, { envelope: `CPRLOG${++n}`, letter: `CPRLOGL${n}` });
    const texts = [
      withCpr(fresh('XDIS20_admission_acute.xml'), '3102501234'), // no such date
      withCpr(fresh('XDIS20_admission_acute.xml'), '010150-1234'), // hyphen
      withCpr(fresh('XDIS20_admission_acute.xml'), `${A_CPR}1`), // eleven digits: the CPR number with a digit too many
      withCpr(fresh('XDIS17_discharge_home.xml'), `X${A_CPR}`),
      Buffer.from(fresh('XDIS20_admission_acute.xml').toString('latin1').replace('</CivilRegistrationNumber>', '</CivilRegistrationNumbr>'), 'latin1'), // not well-formed at the CPR
      Buffer.from(fresh('XDIS20_admission_acute.xml').toString('latin1').replace(/<CivilRegistrationNumber>/, `<CivilRegistrationNumber ${A_CPR}="x">`), 'latin1'),
      Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><Emessage><Envelope><Identifier>${A_CPR}</Identifier>`), // truncated
      Buffer.from(`<!DOCTYPE x [<!ENTITY cpr "${A_CPR}">]><Emessage>&cpr;</Emessage>`),
      Buffer.from(fresh('XDIS20_admission_acute.xml').toString('latin1').replace('encoding="UTF-8"', 'encoding="ISO-8859-7"'), 'latin1'),
    ];
    for (const body of texts) {
      const response = await gw.post(HOSPITAL, body);
      expect(response.statusCode).toBeGreaterThanOrEqual(400);
      expect(response.statusCode).toBeLessThan(500);
    }
    // Accepted: a CPR number as envelope and letter identifier (ten characters are a valid identifier),
    // and one in free text where a name belongs.
    const accepted = [
      renumber('XDIS20_admission_acute.xml', { envelope: A_CPR, letter: '1507381236' }),
      Buffer.from(fresh('XDIS17_discharge_home.xml').toString('latin1').replace(/<PersonSurnameName>[^<]*</, `<PersonSurnameName>${A_CPR}<`), 'latin1'),
    ];
    for (const body of accepted) expect((await gw.post(HOSPITAL, body)).statusCode).toBe(202);
    const items = await leaseInbox(gw, MUNICIPALITY, '?limit=100');
    await fetchItems(gw, MUNICIPALITY, items);
    for (const item of items) await gw.answer(MUNICIPALITY, item.id, { status: 'positive' });
  });

  it('CPR numbers in URLs, headers, request ids and JSON', async () => {
    const hospital = { authorization: `Bearer demo-${HOSPITAL}` };
    const responses = await Promise.all([
      gw.request({ method: 'GET', url: `/api/v1/messages/${A_CPR}`, headers: hospital }),
      gw.request({ method: 'GET', url: `/api/v1/inbox/${A_CPR}`, headers: hospital }),
      gw.request({ method: 'GET', url: `/api/v1/inbox?limit=${A_CPR}`, headers: hospital }),
      gw.request({ method: 'GET', url: `/api/v1/inbox?cpr=${A_CPR}`, headers: hospital }),
      gw.request({ method: 'GET', url: `/api/v1/${A_CPR}`, headers: hospital }),
      gw.request({ method: 'GET', url: '/api/v1/inbox', headers: { authorization: `Bearer ${A_CPR}` } }),
      gw.request({ method: 'GET', url: '/api/v1/inbox', headers: { authorization: `Bearer demo-${A_CPR}` } }),
      gw.request({ method: 'GET', url: '/api/v1/inbox', headers: { ...hospital, 'x-request-id': `cpr-${A_CPR}` } }),
      gw.request({ method: 'GET', url: '/api/v1/inbox', headers: { ...hospital, 'x-request-id': `${A_CPR.slice(0, 6)}-${A_CPR.slice(6)}` } }),
      gw.request({ method: 'POST', url: '/api/v1/messages', headers: { ...hospital, 'content-type': `application/xml; charset=${A_CPR}` }, payload: fixture('XDIS20_admission_acute.xml') }),
      gw.request({ method: 'POST', url: '/api/v1/messages', headers: { ...hospital, 'content-type': `application/${A_CPR}` }, payload: A_CPR }),
      gw.request({ method: 'POST', url: '/api/v1/messages', headers: { ...hospital, 'content-type': 'application/json' }, payload: JSON.stringify({ cpr: A_CPR }) }),
      // The deadline list takes a CPR number as its patient filter; a bad one is refused.
      gw.request({ method: 'GET', url: `/api/v1/ops/deadlines?patient=${A_CPR}`, headers: { authorization: 'Bearer demo-ops' } }),
      gw.request({ method: 'GET', url: `/api/v1/ops/deadlines?patient=${A_CPR.slice(0, 6)}-${A_CPR.slice(6)}&state=${A_CPR}`, headers: { authorization: 'Bearer demo-ops' } }),
      gw.request({ method: 'GET', url: `/api/v1/ops/deadlines/report?patient=${A_CPR}`, headers: { authorization: 'Bearer demo-ops' } }),
      gw.request({ method: 'POST', url: `/api/v1/deadlines/${A_CPR}/fulfil`, headers: { ...hospital, 'content-type': 'application/json' }, payload: JSON.stringify({ note: A_CPR }) }),
      gw.request({ method: 'POST', url: '/api/v1/deadlines/evaluate', headers: { ...hospital, 'content-type': 'application/xml' }, payload: fixture('XDIS20_admission_acute.xml') }),
    ]);
    for (const response of responses) expect(response.statusCode).toBeLessThan(500);

    // On an inbox item: JSON answers with the number in field names and values, and one that ends in a 500.
    await gw.post(HOSPITAL, renumber('XDIS17_discharge_home.xml', { envelope: 'CPRJSON', letter: 'CPRJSONL' }));
    const [item] = await leaseInbox(gw, MUNICIPALITY);
    const id = item?.id as string;
    const municipality = (payload: string) =>
      gw.request({ method: 'POST', url: `/api/v1/inbox/${id}/receipt`, headers: { authorization: `Bearer demo-${MUNICIPALITY}`, 'content-type': 'application/json' }, payload });
    await municipality(JSON.stringify({ status: 'positive', [A_CPR]: A_CPR }));
    await municipality(JSON.stringify({ status: A_CPR }));
    await municipality(JSON.stringify({ status: 'negative', refuseCode: A_CPR }));
    await municipality(`{"status": "negative", "text": "${A_CPR}`); // malformed JSON
    await municipality(JSON.stringify({ status: 'negative', text: `${A_CPR}\u0000` })); // a 500 today (see receipts.test.ts): its error is logged
    await fetchItems(gw, MUNICIPALITY, [item as NonNullable<typeof item>]);
    await gw.answer(MUNICIPALITY, id, { status: 'negative', text: `CPR ${A_CPR}` });
  });
});

describe('the logs', () => {
  it('were written, at trace level, with the scrubber at work', () => {
    expect(lines.length).toBeGreaterThan(100);
    const levels = new Set(lines.map((line) => (JSON.parse(line) as { level: string }).level));
    expect(levels).toContain('info');
    expect([...levels].some((level) => level === 'trace' || level === 'debug')).toBe(true);
    // Request ids that were CPR numbers were logged, blanked.
    expect(lines.some((line) => line.includes('[cpr]'))).toBe(true);
  });

  it('contain no CPR number of any fixture', () => {
    const offending = lines.map((line, index) => ({ index, found: cprsIn(line), line })).filter((hit) => hit.found.length > 0);
    expect(offending.map((hit) => `line ${hit.index}: ${hit.found.join(', ')}: ${hit.line.slice(0, 300)}`)).toEqual([]);
  });
});
