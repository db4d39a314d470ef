/**
 * Hostile input, permanently: thousands of generated bad requests (fast-check, and mutations of the
 * project's fixtures) through the whole gateway on real PostgreSQL and Redis. Every one must get a
 * 4xx — never a 5xx, never a crash — nothing may be stored for any of them, memory stays bounded and
 * the event loop is never held up for more than 200 ms.
 *
 * `HOSTILE_RUNS` (default 10,000) sets how many requests are generated, `HOSTILE_SEED` replays a run;
 * the count is asserted. Requests go four at a time, as several clients would send them.
 * Run by `npm run test:hostile` (and .ci/run), apart from `npm test`: it takes minutes on a busy machine.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { InjectOptions } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPackageRoot } from '../../src/package-root.js';
import { ENDPOINTS, senderEanOf, startTestGateway, type TestGateway } from '../support/gateway.js';

const RUNS = Number(process.env.HOSTILE_RUNS ?? 10_000);
const EVENT_LOOP_LIMIT_MS = 200;
/** Resident memory may grow by this much over the run (50 MB bodies are among the requests). */
const RSS_GROWTH_LIMIT = 768 * 1024 * 1024;

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ workers: false, env: { MEDCOM_CODEC_THREADS: '1' } });
});

afterAll(async () => {
  await gw?.close();
});

/** Valid fixtures read as UTF-8 (those declaring UTF-8, or nothing): every mutation below breaks them for sure. */
const FIXTURES = readdirSync(fromPackageRoot('fixtures', 'valid'))
  .filter((name) => name.endsWith('.xml'))
  .map((name) => readFileSync(fromPackageRoot('fixtures', 'valid', name)))
  .filter((bytes) => !/encoding="(iso-8859-1|windows-1252)"/i.test(bytes.subarray(0, 100).toString('latin1')))
  .map((bytes) => ({ bytes, text: bytes.toString('utf8'), sender: senderEanOf(bytes) }));

const FORBIDDEN_CHARACTERS = [0x00, 0x01, 0x07, 0x08, 0x0b, 0x0c, 0x0e, 0x1b, 0x1f, 0xfffe, 0xffff, 0xd800, 0xdfff].map((code) => String.fromCharCode(code));

interface BadRequest {
  readonly kind: string;
  readonly options: InjectOptions;
}

function xmlPost(kind: string, sender: string, payload: Buffer | string, contentType = 'application/xml'): BadRequest {
  return described({ kind, options: { method: 'POST', url: '/api/v1/messages', headers: { authorization: `Bearer demo-${sender}`, 'content-type': contentType }, payload } });
}

/** A counterexample is printed as its kind, route, headers and the start of its body, not megabytes of bytes. */
function described(request: BadRequest): BadRequest {
  const { payload, ...rest } = request.options;
  const head = payload === undefined ? '' : Buffer.from(payload as Buffer | string).toString('utf8', 0, 300);
  return Object.assign(request, { [fc.toStringMethod]: () => `${request.kind} ${JSON.stringify(rest)} body: ${JSON.stringify(head)}…` });
}

const fixtureArb = fc.constantFrom(...FIXTURES);

/** Offsets of the text inside elements (between '>' and '<'), where content can be changed. */
function insideRoot(text: string, fraction: number): number {
  const start = text.indexOf('<Emessage') === -1 ? text.indexOf('<', text.indexOf('?>') + 2) : text.indexOf('<Emessage');
  const end = text.lastIndexOf('</');
  return start + 1 + Math.floor(fraction * Math.max(1, end - start - 1));
}

/**
 * The position just after the n-th start tag's name, where an attribute can go; never inside
 * Local_Elements, whose content is the sender's own (xs:anyType) and may carry any attribute.
 */
function startTagEnd(text: string, n: number): number {
  const local = text.search(/<([\w.-]+:)?Local_Elements/);
  const tags = [...text.matchAll(/<([A-Za-z][\w.:-]*)(?=[\s>/])/g)].filter((tag) => local === -1 || (tag.index) < local);
  const tag = tags[n % tags.length] as RegExpMatchArray;
  return (tag.index as number) + tag[0].length;
}

const requests: fc.Arbitrary<BadRequest> = fc.oneof(
  // Truncated anywhere before the root element closes.
  fc.tuple(fixtureArb, fc.double({ min: 0, max: 0.999, noNaN: true })).map(([f, cut]) => xmlPost('truncated', f.sender, f.bytes.subarray(0, Math.floor(cut * f.text.lastIndexOf('</')) ))),
  // A character XML 1.0 forbids, anywhere inside the root (raw or as a character reference).
  fc.tuple(fixtureArb, fc.double({ min: 0, max: 0.999, noNaN: true }), fc.constantFrom(...FORBIDDEN_CHARACTERS), fc.boolean()).map(([f, at, ch, asReference]) => {
    const offset = insideRoot(f.text, at);
    const inserted = asReference ? `&#x${ch.charCodeAt(0).toString(16)};` : ch;
    // A reference only means something in text; raw characters are forbidden everywhere.
    const where = asReference ? f.text.indexOf('<', offset) : offset;
    const before = Buffer.from(f.text.slice(0, where), 'utf8');
    const after = Buffer.from(f.text.slice(where), 'utf8');
    // A lone surrogate has no UTF-8 form (Buffer.from would write U+FFFD, a legal character): send the
    // bytes a careless encoder writes for it (ED A0 80 for U+D800), which a strict decoder must refuse.
    const code = ch.charCodeAt(0);
    const raw = code >= 0xd800 && code <= 0xdfff ? Buffer.from([0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]) : Buffer.from(ch, 'utf8');
    return xmlPost('forbidden-character', f.sender, Buffer.concat([before, asReference ? Buffer.from(inserted, 'utf8') : raw, after]));
  }),
  // Bytes that are not UTF-8 in a message read as UTF-8.
  fc.tuple(fixtureArb, fc.double({ min: 0, max: 0.999, noNaN: true }), fc.constantFrom(0x80, 0xbf, 0xc0, 0xc3, 0xed, 0xf5, 0xff)).map(([f, at, byte]) => {
    const offset = Buffer.byteLength(f.text.slice(0, insideRoot(f.text, at)), 'utf8');
    return xmlPost('invalid-utf-8', f.sender, Buffer.concat([f.bytes.subarray(0, offset), Buffer.from([byte, 0x41]), f.bytes.subarray(offset)]));
  }),
  // Encodings the gateway does not read, or an HTTP charset that contradicts the XML declaration.
  fc.tuple(fixtureArb, fc.constantFrom('utf-16', 'ebcdic', 'shift_jis', 'x-nonsense', 'iso-8859-1', 'windows-1252'), fc.boolean()).map(([f, charset, inDeclaration]) => {
    const readable = charset === 'iso-8859-1' || charset === 'windows-1252';
    const declaration = `<?xml version="1.0" encoding="${readable || !inDeclaration ? 'UTF-8' : charset}"?>`;
    const text = `${declaration}${f.text.replace(/^<\?xml[^>]*\?>/, '')}`;
    return xmlPost('encoding', f.sender, Buffer.from(text, 'utf8'), `application/xml; charset=${readable || inDeclaration ? (readable ? charset : 'utf-8') : charset}`);
  }),
  // UTF-16 with a byte-order mark.
  fixtureArb.map((f) => xmlPost('utf-16', f.sender, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(f.text, 'utf16le')]))),
  // DOCTYPE and ENTITY attacks: billion laughs, external entities, parameter entities.
  fc.tuple(fixtureArb, fc.constantFrom(
    '<!DOCTYPE Emessage [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    '<!DOCTYPE Emessage SYSTEM "file:///etc/passwd">',
    '<!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:1/x.dtd">%p;]>',
    '<!doctype Emessage>',
  )).map(([f, doctype]) => xmlPost('doctype', f.sender, Buffer.from(f.text.replace(/(<\?xml[^>]*\?>)?/, `$1${doctype}`), 'utf8'))),
  // Too many attributes on one element, or an unknown attribute on any element.
  fc.tuple(fixtureArb, fc.nat(), fc.integer({ min: 33, max: 500 })).map(([f, n, count]) => {
    const at = startTagEnd(f.text, n);
    return xmlPost('attribute-flood', f.sender, Buffer.from(`${f.text.slice(0, at)}${' a="1"'.repeat(1).replace('a', 'a0')}${Array.from({ length: count }, (_, i) => ` b${i}="x"`).join('')}${f.text.slice(at)}`, 'utf8'));
  }),
  fc.tuple(fixtureArb, fc.nat(), fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/)).map(([f, n, name]) => {
    const at = startTagEnd(f.text, n);
    return xmlPost('unknown-attribute', f.sender, Buffer.from(`${f.text.slice(0, at)} ${name}x="1"${f.text.slice(at)}`, 'utf8'));
  }),
  // Namespace declarations past the limit, spread over the elements.
  fc.tuple(fixtureArb, fc.integer({ min: 101, max: 400 })).map(([f, count]) => {
    const at = startTagEnd(f.text, 0);
    return xmlPost('namespace-flood', f.sender, Buffer.from(`${f.text.slice(0, at)}${Array.from({ length: count }, (_, i) => ` xmlns:n${i}="urn:n${i % 7}"`).join('')}${f.text.slice(at)}`, 'utf8'));
  }),
  // Character references past the limit.
  fc.tuple(fixtureArb, fc.integer({ min: 50_001, max: 60_000 })).map(([f, count]) => {
    const at = f.text.indexOf('<', insideRoot(f.text, 0.5));
    return xmlPost('reference-flood', f.sender, Buffer.from(`${f.text.slice(0, at)}${'&#65;'.repeat(count)}${f.text.slice(at)}`, 'utf8'));
  }),
  // Nesting deeper than the limit inside a letter.
  fc.tuple(fixtureArb, fc.integer({ min: 65, max: 2_000 })).map(([f, depth]) => {
    const at = f.text.indexOf('<', insideRoot(f.text, 0.5));
    return xmlPost('deep-nesting', f.sender, Buffer.from(`${f.text.slice(0, at)}${'<d>'.repeat(depth)}${'</d>'.repeat(depth)}${f.text.slice(at)}`, 'utf8'));
  }),
  // Arbitrary text as XML.
  fc.tuple(fc.constantFrom(...ENDPOINTS), fc.string({ maxLength: 300 })).map(([sender, text]) => xmlPost('random-text', sender, Buffer.from(text, 'utf8'))),
  // A valid message in a content type the gateway does not take.
  fc.tuple(fixtureArb, fc.constantFrom('text/plain', 'application/json', 'application/octet-stream', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded')).map(([f, type]) =>
    xmlPost('content-type', f.sender, f.bytes, type),
  ),
  // A valid message sent with another endpoint's key (a forged sender).
  fc.tuple(fixtureArb, fc.constantFrom(...ENDPOINTS)).filter(([f, key]) => f.sender !== key).map(([f, key]) => xmlPost('forged-sender', key, f.bytes)),
  // No key, a wrong key.
  fc.tuple(fixtureArb, fc.constantFrom('', 'Bearer ', 'Bearer nope', 'Basic ZGVtbzpkZW1v', `Bearer demo-${'9'.repeat(13)}`)).map(([f, authorization]) =>
    described({
    kind: 'authorization',
    options: { method: 'POST', url: '/api/v1/messages', headers: { ...(authorization ? { authorization } : {}), 'content-type': 'application/xml' }, payload: f.bytes },
  })),

  // Ids that are not ids (or are nobody's) in every path that takes one.
  fc.tuple(
    fc.constantFrom(...ENDPOINTS),
    fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 60 }).map(encodeURIComponent), fc.constant('..%2F..%2Fetc%2Fpasswd'), fc.constant('%00')),
    fc.constantFrom('GET /api/v1/messages/', 'GET /api/v1/inbox/', 'GET /api/v1/deadlines/', 'POST /api/v1/inbox/:/receipt', 'POST /api/v1/deadlines/:/fulfil'),
  ).map(([who, id, route]) => {
    const [method, path] = route.split(' ') as [string, string];
    const url = path.includes(':') ? path.replace(':', id) : `${path}${id}`;
    return described({
      kind: 'odd-id',
      options: {
        method: method,
        url,
        headers: { authorization: `Bearer demo-${who}`, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
        ...(method === 'POST' ? { payload: JSON.stringify(route.includes('receipt') ? { status: 'positive' } : {}) } : {}),
      },
    });
  }),
  // Malformed JSON answers on an inbox item (which does not exist for the caller either).
  fc.tuple(fc.constantFrom(...ENDPOINTS), fc.uuid(), fc.oneof(fc.json(), fc.string({ maxLength: 100 }))).map(([who, id, body]) =>
    described({
    kind: 'malformed-answer',
    options: { method: 'POST', url: `/api/v1/inbox/${id}/receipt`, headers: { authorization: `Bearer demo-${who}`, 'content-type': 'application/json' }, payload: body },
  })),
  // Receipts for messages the gateway never carried (replayed from the fixtures).
  fc.constantFrom(...FIXTURES.filter((f) => /<(PositiveReceipt|NegativeReceipt)>/.test(f.text))).map((f) => xmlPost('unknown-receipt', f.sender, f.bytes)),
);

/** Rows in every table a request could write to. */
async function rowCounts(): Promise<Record<string, number>> {
  const tables = ['messages', 'letters', 'deliveries', 'events', 'deadlines', 'outbox'];
  const { rows } = await gw.db.query<Record<string, string>>(`SELECT ${tables.map((t) => `(SELECT count(*) FROM ${t}) AS ${t}`).join(', ')}`);
  return Object.fromEntries(Object.entries(rows[0] ?? {}).map(([table, n]) => [table, Number(n)]));
}


/** A full garbage collection now (the gc function V8 exposes on request). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/**
 * The event loop's delay chunk by chunk: the worst chunk, its p99 and the longest garbage collection
 * that ran while it was measured (the test's own forced collections between chunks left out).
 */
class LoopRecord {
  maxMs = 0;
  private worst = { chunk: 'none', maxMs: 0, p99Ms: 0, longestGcMs: 0 };
  private gcPauses: PerformanceEntry[] = [];
  private forced: { from: number; to: number }[] = [];
  private readonly observer = new PerformanceObserver((list) => this.gcPauses.push(...list.getEntries()));

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** Runs the test's own collection, remembered so its pause is not counted against a chunk. */
  forcing(collect: () => void): void {
    const from = performance.now();
    collect();
    this.forced.push({ from, to: performance.now() });
  }

  /** Closes a chunk's measurement (call with the monitor disabled, before it is reset). */
  async endChunk(chunk: string, delay: ReturnType<typeof monitorEventLoopDelay>): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve)); // lets the observer deliver this chunk's entries
    const isForced = (entry: PerformanceEntry) => this.forced.some((f) => entry.startTime >= f.from - 1 && entry.startTime <= f.to + 1);
    const longestGcMs = Math.max(0, ...this.gcPauses.filter((entry) => !isForced(entry)).map((entry) => entry.duration));
    this.gcPauses = [];
    this.forced = [];
    const maxMs = delay.count > 0 ? delay.max / 1e6 : 0;
    if (maxMs > this.maxMs) {
      this.maxMs = maxMs;
      this.worst = { chunk, maxMs, p99Ms: delay.percentile(99) / 1e6, longestGcMs };
    }
  }

  worstText(): string {
    const { chunk, maxMs, p99Ms, longestGcMs } = this.worst;
    return `max ${maxMs.toFixed(0)} ms in ${chunk}, whose p99 was ${p99Ms.toFixed(0)} ms and longest garbage collection ${longestGcMs.toFixed(0)} ms`;
  }

  stop(): void {
    this.observer.disconnect();
  }
}

describe(`${RUNS} generated bad requests`, () => {
  // About a minute on a quiet two-core machine; the timeout leaves room for a busy one.
  it('are each answered 4xx, store nothing, keep memory bounded and never hold the event loop for 200 ms', { timeout: 300_000 }, async () => {
    const before = await rowCounts();
    const started = performance.now();
    const rssBefore = process.memoryUsage().rss;
    let rssMax = rssBefore;
    const byKind = new Map<string, number>();
    const statuses = new Map<number, number>();
    let sent = 0;
    // The gateway shares this process's event loop with the test, so the monitor runs only while
    // requests are in flight: building the requests (megabytes of floods at a time) is the test's work.
    // Measured per chunk (reset at its start), so a stall can be traced to the chunk that held it and
    // to the garbage collections in that chunk; the test's own forced collections are not counted.
    const delay = monitorEventLoopDelay({ resolution: 10 });
    const loop = new LoopRecord();
    const huge = Buffer.alloc(50 * 1024 * 1024, 0x41);
    delay.enable();

    // 50 MB bodies: a few are enough to show they are refused before they are read into memory whole.
    for (let i = 0; i < 3; i++) {
      const response = await gw.post(ENDPOINTS[0] as string, huge);
      expect(response.statusCode).toBe(413);
      sent += 1;
    }

    const seed = Number(process.env.HOSTILE_SEED ?? Date.now() % 2_147_483_647);
    const failures: string[] = [];
    const send = async (request: BadRequest): Promise<void> => {
      const response = await gw.request(request.options);
      sent += 1;
      byKind.set(request.kind, (byKind.get(request.kind) ?? 0) + 1);
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      if (sent % 500 === 0) rssMax = Math.max(rssMax, process.memoryUsage().rss);
      if (response.statusCode < 400 || response.statusCode > 499) failures.push(`${fc.stringify(request)} answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
    };
    // Generated a chunk at a time (the floods are large), sent four at a time.
    const CHUNK = 400;
    for (let chunk = 0; chunk * CHUNK < RUNS && failures.length === 0; chunk++) {
      delay.disable();
      await loop.endChunk(chunk === 0 ? 'the 50 MB bodies' : `chunk ${chunk - 1} (requests ${(chunk - 1) * CHUNK}–${chunk * CHUNK - 1})`, delay);
      // The previous chunk's requests (megabytes of floods the test made) are collected now, while the
      // monitor is off, so their collection is not counted as the gateway holding the loop.
      loop.forcing(collectGarbage);
      const batch = fc.sample(requests, { numRuns: Math.min(CHUNK, RUNS - chunk * CHUNK), seed: seed + chunk });
      delay.reset();
      delay.enable();
      for (let i = 0; i < batch.length; i += 4) await Promise.all(batch.slice(i, i + 4).map(send));
    }
    expect(failures, `HOSTILE_SEED=${seed} replays this run`).toEqual([]);
    delay.disable();
    const lastChunk = Math.ceil(RUNS / CHUNK) - 1;
    await loop.endChunk(`chunk ${lastChunk} (requests ${lastChunk * CHUNK}–${RUNS - 1})`, delay);
    loop.stop();
    rssMax = Math.max(rssMax, process.memoryUsage().rss);

    expect(sent).toBe(RUNS + 3);
    expect(await rowCounts()).toEqual(before);
    expect(rssMax - rssBefore).toBeLessThan(RSS_GROWTH_LIMIT);
    expect(loop.maxMs, `event-loop delay: ${loop.worstText()}; HOSTILE_SEED=${seed} replays this run`).toBeLessThan(EVENT_LOOP_LIMIT_MS);
    // Every kind was generated (a generator that stopped producing would otherwise go unnoticed).
    expect([...byKind.keys()].sort()).toHaveLength(18);
    const seconds = (performance.now() - started) / 1000;
    console.warn(
      `hostile input: ${sent} requests in ${seconds.toFixed(0)} s, ${JSON.stringify(Object.fromEntries([...statuses].sort()))}, RSS +${((rssMax - rssBefore) / 1048576).toFixed(0)} MB, event loop max ${loop.maxMs.toFixed(0)} ms (${loop.worstText()})`,
    );
  });
});
