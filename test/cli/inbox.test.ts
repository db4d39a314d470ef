/**
 * `medcom-gateway inbox`: a whole exchange on one machine — the hospital replays its messages, the
 * municipality's simulated EOJ fetches and answers them, and the hospital's inbox then holds the
 * XCTL03 receipts. Real gateway on a loopback port, real PostgreSQL and Redis.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInbox } from '../../src/cli/inbox-simulator/inbox-command.js';
import { fromPackageRoot } from '../../src/package-root.js';
import { HOSPITAL, MUNICIPALITY, MUNICIPALITY_2, leaseInbox, renumber, viewMessage } from '../support/gateway.js';
import { runCli, startListeningGateway, type ListeningGateway } from '../support/listening-gateway.js';

let gw: ListeningGateway;
const scratch = mkdtempSync(join(tmpdir(), 'medcom-inbox-'));

beforeAll(async () => {
  gw = await startListeningGateway();
});

afterAll(async () => {
  await gw?.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** The hospital's messages to Kommune Nord among the fixtures: admission, discharge, warning, report. */
const TO_NORD = ['XDIS20_admission_acute.xml', 'XDIS17_discharge_home.xml', 'XDIS19_warning_of_discharge.xml', 'XDIS18_report_of_discharge.xml'];

describe('medcom-gateway inbox', () => {
  it('answers what the hospital replayed; the hospital then finds the positive receipts in its inbox', async () => {
    const set = join(scratch, 'exchange', 'valid');
    mkdirSync(set, { recursive: true });
    for (const name of TO_NORD) copyFileSync(fromPackageRoot('fixtures', 'valid', name), join(set, name));
    const replay = await runCli(['replay', set, '--url', gw.url, '--key', `demo-${HOSPITAL}`, '--fresh-ids', '--expect']);
    expect(replay.code, replay.stdout + replay.stderr).toBe(0);

    const saved = join(scratch, 'saved');
    const inbox = await runCli(['inbox', '--url', gw.url, '--key', `demo-${MUNICIPALITY}`, '--answer', 'positive', '--save', saved]);
    expect(inbox.code, inbox.stdout + inbox.stderr).toBe(0);
    const lines = inbox.stdout.trim().split('\n');
    expect(lines).toHaveLength(TO_NORD.length + 1);
    expect(lines.at(-1)).toMatch(/^4 messages, \d answered, 0 errors$/);
    expect(inbox.stdout).toMatch(new RegExp(`^XDIS20 from ${HOSPITAL} {2}envelope \\S+ {2}letters \\S+ {2}deadlines D19 late {2}positive receipt sent {2}saved `, 'm'));
    const answered = lines.filter((line) => line.includes('positive receipt sent')).length;
    const notAsked = lines.filter((line) => line.includes('no positive receipt asked')).length;
    expect(answered + notAsked).toBe(TO_NORD.length);
    expect(answered).toBeGreaterThan(0);

    // Saved byte for byte: each file's SHA-256 is that of a message the gateway stored from the hospital.
    const files = readdirSync(saved);
    expect(files).toHaveLength(TO_NORD.length);
    const stored = new Set((await gw.db.query<{ sha256: string }>('SELECT sha256 FROM messages WHERE sender_ean = $1', [HOSPITAL])).rows.map((r) => r.sha256));
    for (const file of files) expect(stored.has(createHash('sha256').update(readFileSync(join(saved, file))).digest('hex')), file).toBe(true);

    // The hospital's side: its inbox holds Kommune Nord's XCTL03 receipts, which are not answered in turn.
    const hospital = await runCli(['inbox', '--url', gw.url, '--key', `demo-${HOSPITAL}`, '--answer', 'positive']);
    expect(hospital.code, hospital.stdout + hospital.stderr).toBe(0);
    const receipts = hospital.stdout.split('\n').filter((line) => line.startsWith(`XCTL03 from ${MUNICIPALITY}  `));
    expect(receipts).toHaveLength(answered);
    for (const line of receipts) expect(line).toMatch(/ {2}a receipt is not answered$/);
    expect(await leaseInbox(gw, HOSPITAL, '?limit=100')).toEqual([]);
  });

  it('drains an empty inbox and exits 0; a wrong key is exit 2', async () => {
    const empty = await runCli(['inbox', '--url', gw.url, '--key', `demo-${MUNICIPALITY_2}`]);
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toBe('0 messages, 0 answered, 0 errors\n');
    const wrong = await runCli(['inbox', '--url', gw.url, '--key', 'demo-nobody']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^GET \/api\/v1\/inbox: HTTP 401 /);
  });

  it('with --follow waits for messages and answers each as it arrives, until stopped', async () => {
    const stop = new AbortController();
    const lines: string[] = [];
    const seen = new Promise<void>((resolve) => {
      const following = runInbox(
        { url: gw.url, key: `demo-${MUNICIPALITY_2}`, follow: true, answer: 'negative', wait: 5, limit: 10 },
        {
          out: (text) => {
            lines.push(text);
            if (text.includes('negative receipt sent')) resolve();
          },
          err: (text) => lines.push(text),
          signal: stop.signal,
        },
      );
      void following.then((code) => lines.push(`exit ${code}`));
    });
    // Kommune Syd gets the windows-1252 admission once the simulator is already waiting.
    const body = renumber('XDIS20_windows-1252.xml', { envelope: `FOLLOW${Date.now() % 1e8}`, letter: `FL${Date.now() % 1e10}` });
    const posted = await gw.post('5790000000029', body);
    expect(posted.statusCode, posted.body).toBe(202);
    await seen;
    stop.abort();
    await expect.poll(() => lines.at(-1)).toBe('exit 0');
    expect(lines.join('')).toMatch(/^XDIS20 from 5790000000029 {2}.* {2}negative receipt sent$/m);
    const view = await viewMessage(gw, '5790000000029', posted.json<{ id: string }>().id);
    expect(view.deliveries[0]?.receipt?.kind).toBe('negative');
  });

  it('refuses a message whose bytes do not match the ETag: an error line, nothing saved, no receipt', async () => {
    // A proxy in front of the gateway that changes one byte of every fetched message.
    const target = new URL(gw.url);
    const proxy: Server = createServer((incoming, outgoing) => {
      const upstream = httpRequest({ host: target.hostname, port: target.port, path: incoming.url, method: incoming.method, headers: incoming.headers }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          let body = Buffer.concat(chunks);
          if (/^\/api\/v1\/inbox\/[0-9a-f-]{36}$/.test(incoming.url ?? '')) {
            body = Buffer.from(body);
            body.writeUInt8(body.readUInt8(body.length - 2) ^ 0x01, body.length - 2);
          }
          const headers = { ...answer.headers, 'content-length': String(body.length) };
          outgoing.writeHead(answer.statusCode ?? 502, headers).end(body);
        });
      });
      incoming.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const body = renumber('XDIS17_discharge_home.xml', { envelope: `TAMPER${Date.now() % 1e8}`, letter: `TM${Date.now() % 1e10}` });
      const posted = await gw.post(HOSPITAL, body);
      expect(posted.statusCode, posted.body).toBe(202);
      const saved = join(scratch, 'tampered');
      const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const run = await runCli(['inbox', '--url', url, '--key', `demo-${MUNICIPALITY}`, '--save', saved]);
      expect(run.code).toBe(1);
      const sha = createHash('sha256').update(body).digest('hex');
      expect(run.stdout).toMatch(new RegExp(`^error {2}XDIS17 from ${HOSPITAL} .* SHA-256 [0-9a-f]{64} does not match the ETag ${sha}: not saved, no receipt$`, 'm'));
      expect(readdirSync(saved)).toEqual([]);
      const view = await viewMessage(gw, HOSPITAL, posted.json<{ id: string }>().id);
      expect(view.deliveries[0]?.receipt).toBeNull();
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
