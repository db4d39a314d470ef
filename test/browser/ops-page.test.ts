/**
 * The operations page in a real browser: Debian's Chromium driven by playwright-core against a real
 * gateway listening on a port with the demo network. An operator logs in as demo-ops, watches an
 * overview counter change when a hospital posts a message, finds it by CPR, opens its timeline, reads
 * the body with a reason and finds that read in the audit log, redelivers it, exports the audit CSV
 * and switches to Danish. Every view is photographed into test-artifacts/ for a person to look at.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPackageRoot } from '../../src/package-root.js';
import { HOSPITAL, HOSPITAL_2, MUNICIPALITY, MUNICIPALITY_2, psychiatricAdmission, renumber, testConfigDir, variant } from '../support/gateway.js';
import { startListeningGateway, type ListeningGateway } from '../support/listening-gateway.js';

const CHROMIUM = process.env.MEDCOM_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = fromPackageRoot('test-artifacts');
/** The patient of fixtures/valid/XDIS17_discharge_home.xml. */
const CPR = '0101501234';
const READ_REASON = 'Checking the discharge advice the municipality asked about';

let gw: ListeningGateway;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let posted: { id: string; envelopeId: string };
/** Demo Kommune Syd takes pushes at a port nothing listens on: its deliveries are dead-lettered after two attempts. */
const config = testConfigDir((c) => {
  const receiver = c.endpoints.find((e) => e.ean === MUNICIPALITY_2);
  if (receiver) receiver.delivery = { mode: 'push', url: 'http://127.0.0.1:9/medcom' };
});
/** Errors the page logged: a Content-Security-Policy violation would be one. */
const consoleErrors: string[] = [];

async function postMessage(fixture: string | Buffer, envelope: string, letter: string): Promise<{ id: string; envelopeId: string }> {
  const response = await fetch(`${gw.url}/api/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer demo-${HOSPITAL}`, 'content-type': 'application/xml' },
    body: typeof fixture === 'string' ? variant(fixture, { envelope, letter }) : fixture,
  });
  expect(response.status).toBe(202);
  return (await response.json()) as { id: string; envelopeId: string };
}

async function shoot(name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });
}

async function open(view: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: view, exact: true }).click();
}

beforeAll(async () => {
  if (!existsSync(fromPackageRoot('dist', 'page', 'index.html'))) throw new Error('dist/page is missing: run `npm run build` first');
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set MEDCOM_CHROMIUM)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  gw = await startListeningGateway({ env: { MEDCOM_CONFIG_DIR: config.dir, MEDCOM_PUSH_MAX_ATTEMPTS: '2', MEDCOM_PUSH_BACKOFF_MS: '50', MEDCOM_PUSH_TIMEOUT_MS: '500' } });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true, locale: 'en-GB' });
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
  // The page must run under the gateway's Content-Security-Policy: a violation is a failure.
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await gw?.close();
  config.remove();
});

describe('the operations page', () => {
  it('serves a login at / that holds no data, and refuses an endpoint key with a clear message', async () => {
    const html = await (await fetch(`${gw.url}/`)).text();
    expect(html).toContain('<div id="app">');
    expect(html).not.toMatch(/[0-9]{6}-?[0-9]{4}/);
    expect(html).not.toMatch(/<script>|<style>|style="/);

    await page.goto(`${gw.url}/`);
    // The page renders the login after its script has asked who is logged in: wait for it (isVisible() does not).
    await page.getByRole('heading', { name: 'Operations login' }).waitFor({ state: 'visible' });
    await page.getByLabel('Operations key').fill(`demo-${HOSPITAL}`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('This is an endpoint\'s API key').waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
    await shoot('login-endpoint-key');
  });

  it('logs in as demo-ops and shows the overview; its counters change when a message is posted', async () => {
    await page.getByLabel('Operations key').fill('demo-ops');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('Demo operator').waitFor();
    const waiting = page.locator(`#endpoint-${MUNICIPALITY} td.waiting`);
    await waiting.waitFor();
    const before = Number(await waiting.textContent());
    // The event stream is open: the change below comes from it, not from the page's fallback timer.
    await page.locator('.live.on').waitFor();

    posted = await postMessage('XDIS17_discharge_home.xml', 'OPSPAGE0001', 'OPSPAGEL0001');
    // No reload: the event stream makes the page fetch the overview again.
    await expect.poll(async () => Number(await waiting.textContent()), { timeout: 10_000 }).toBe(before + 1);
    await page.locator('#type-XDIS17 .accepted-hour').waitFor();
    await postMessage('XDIS20_admission_acute.xml', 'OPSPAGE0002', 'OPSPAGEL0002');
    await postMessage('XDIS19_warning_of_discharge.xml', 'OPSPAGE0003', 'OPSPAGEL0003');
    await expect.poll(async () => Number(await waiting.textContent()), { timeout: 10_000 }).toBeGreaterThan(before + 1);
    await shoot('overview');
  });

  it('finds the message by CPR and opens its timeline', async () => {
    await open('Search');
    await page.getByLabel('CPR number').fill(CPR);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const hit = page.locator('table.results tbody tr', { hasText: posted.envelopeId });
    await hit.waitFor();
    // The CPR number is searched for, never put in the address (or the browser history).
    expect(page.url()).not.toContain(CPR);
    await shoot('search');

    await hit.getByRole('link').click();
    await page.getByRole('heading', { name: /Message OPSPAGE0001/ }).waitFor();
    await page.locator('#timeline li', { hasText: 'accepted' }).first().waitFor();
    await shoot('message');
  });

  it('shows the body only with a stated reason, and the read is in the audit log', async () => {
    await page.getByRole('button', { name: 'Show the body…' }).click();
    await page.getByLabel('Reason').fill(READ_REASON);
    await page.getByRole('button', { name: 'Read the body' }).click();
    await expect.poll(async () => (await page.locator('#message-body').textContent()) ?? '').toContain('OPSPAGE0001');
    await shoot('message-body');

    await open('Audit log');
    const row = page.locator('#audit-log tbody tr', { hasText: READ_REASON });
    await row.waitFor();
    expect(await row.textContent()).toContain('Demo operator');
    await shoot('audit');
  });

  it('exports the audit log as CSV', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#audit-csv').click()]);
    const file = await download.path();
    const csv = readFileSync(file, 'utf8');
    expect(csv.split('\n')[0]).toMatch(/operator/i);
    expect(csv).toContain(READ_REASON);
    expect(csv).toContain('Demo operator');
  });

  it('redelivers the message to its receiver with a reason; the new delivery shows its parent', async () => {
    // The municipality fetches the message and answers it; only a delivery that has arrived is redelivered.
    const inbox = (await (await fetch(`${gw.url}/api/v1/inbox?wait=5`, { headers: { authorization: `Bearer demo-${MUNICIPALITY}` } })).json()) as { items: { id: string; messageId: string }[] };
    const item = inbox.items.find((i) => i.messageId === posted.id);
    if (!item) throw new Error('the message is not in the municipality\'s inbox');
    await fetch(`${gw.url}/api/v1/inbox/${item.id}`, { headers: { authorization: `Bearer demo-${MUNICIPALITY}` } });
    const receipt = await fetch(`${gw.url}/api/v1/inbox/${item.id}/receipt`, {
      method: 'POST',
      headers: { authorization: `Bearer demo-${MUNICIPALITY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'positive' }),
    });
    expect(receipt.status).toBe(200);
    await page.goto(`${gw.url}/#/message/${posted.id}`);
    const rows = page.locator('table.deliveries tbody tr');
    await rows.first().waitFor();
    const count = await rows.count();
    await page.getByRole('button', { name: 'Redeliver…' }).click();
    await page.getByLabel('Reason').fill('The municipality lost the message in a system restore');
    await page.getByRole('button', { name: 'Redeliver', exact: true }).click();
    await page.getByText('Redelivered as a new delivery.').waitFor();
    await expect.poll(() => rows.count()).toBe(count + 1);
    await page.locator('td.lineage', { hasText: '↳' }).waitFor();
    await page.locator('#timeline li', { hasText: 'ops-redeliver' }).first().waitFor();
    await shoot('message-redelivered');
  });

  it('shows deadlines, dead letters and alerts, and pauses and resumes an endpoint with a reason', async () => {
    // A psychiatric admission leaves the GP notice (D21-GP) open: the hospital phoned the GP instead.
    await postMessage(psychiatricAdmission({ envelope: 'PAGEPSY1', letter: 'PAGEPSYL1' }), 'PAGEPSY1', 'PAGEPSYL1');
    await open('Deadlines');
    await page.locator('#compliance, #deadlines-upcoming').first().waitFor();
    const form = page.locator('form.warning-form');
    await form.getByLabel('Deadline').selectOption({ label: (await form.getByLabel('Deadline').locator('option', { hasText: 'D21-GP' }).first().textContent()) ?? '' });
    await form.getByLabel('Channel').selectOption('phone');
    await form.getByLabel('Note (the reason the audit log keeps)').fill('The ward phoned the GP about the admission');
    await form.getByRole('button', { name: 'Record' }).click();
    await page.getByRole('status').getByText('Recorded.').waitFor();
    // The deadline left the breached list, and the report counts it as fulfilled outside MedCom.
    await page.locator('#deadlines-breached').waitFor({ state: 'detached' });
    await page.locator('#compliance tr', { hasText: 'D21-GP' }).locator('td').last().getByText('1').waitFor();
    await shoot('deadlines');
    const audit = await page.evaluate(async () => (await fetch('/api/v1/ops/audit?limit=20')).json());
    expect(JSON.stringify(audit)).toContain('The ward phoned the GP about the admission');
    // A discharge advice to the push receiver that never answers: dead-lettered after two attempts.
    const response = await fetch(`${gw.url}/api/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer demo-${HOSPITAL_2}`, 'content-type': 'application/xml' },
      body: renumber('XDIS17_iso-8859-1.xml', { envelope: 'PAGEDEAD1', letter: 'PAGEDEADL1' }),
    });
    expect(response.status).toBe(202);
    await expect.poll(async () => ((await (await fetch(`${gw.url}/api/v1/ops/dead-letters`, { headers: { authorization: 'Bearer demo-ops' } })).json()) as { items: unknown[] }).items.length, { timeout: 15_000 }).toBe(1);
    await open('Dead letters');
    const deadRow = page.locator('#dead-letters tbody tr', { hasText: 'PAGEDEAD1' });
    await deadRow.waitFor();
    await shoot('dead-letters');
    await deadRow.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Retry selected (1)' }).click();
    await page.getByLabel('Reason').fill('The municipality fixed its push endpoint');
    await page.getByRole('button', { name: 'Retry', exact: true }).click();
    await page.getByRole('status').getByText('Requeued: 1').waitFor();
    await open('Endpoints');
    const row = page.locator(`#endpoint-row-${MUNICIPALITY}`);
    await row.getByRole('button', { name: 'Pause…' }).click();
    await page.getByLabel('Reason').fill('The municipality is moving its EOJ tonight');
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await row.getByText('The municipality is moving its EOJ tonight').waitFor();
    await shoot('endpoints');
    await row.getByRole('button', { name: 'Resume…' }).click();
    await page.getByLabel('Reason').fill('The move is done and the EOJ answers');
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await row.getByRole('button', { name: 'Pause…' }).waitFor();
    await open('Alerts');
    await page.getByRole('heading', { name: 'Open' }).waitFor();
    await shoot('alerts');
  });

  it('switches to Danish and remembers it', async () => {
    await page.getByRole('button', { name: 'Vis siden på dansk' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overblik' }).waitFor();
    await page.reload();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overblik' }).click();
    await page.locator(`#endpoint-${MUNICIPALITY}`).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('da');
    await shoot('overview-da');
    await page.setViewportSize({ width: 1920, height: 1080 });
    await shoot('overview-da-1920');
    await page.getByRole('button', { name: 'Show the page in English' }).click();
  });

  it('ran without a Content-Security-Policy violation', () => {
    expect(consoleErrors.filter((text) => /Content Security Policy/i.test(text))).toEqual([]);
  });
});
