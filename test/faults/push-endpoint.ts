/**
 * A receiving system with push delivery, for the fault suite: an HTTP server on 127.0.0.1 that the
 * gateway POSTs to, whose behaviour the scenario switches — up, down (the port refuses connections),
 * slow (answers after the gateway has given up waiting) or failing (500). It behaves as MedCom asks of
 * a receiver: every message it takes (reads to the end and processes, whether or not its answer still
 * reaches the gateway) that asks for a receipt is answered with a positive one on the inbox item the
 * push named (X-Medcom-Delivery-Id); a message it has taken before is a duplicate, not shown again and
 * answered with the same receipt. Every request is recorded, to count what arrived how often.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { retrying } from './harness.js';

export type PushEndpointMode = 'up' | 'down' | 'slow' | 'failing';

export interface PushRequestSeen {
  readonly deliveryId: string;
  readonly envelopeId: string;
  readonly sha256: string;
  /** The body's own sha256 is the one the X-Content-SHA256 header names. */
  readonly bodyMatches: boolean;
  readonly at: number;
  /**
   * taken: answered 2xx while the gateway still waited; late: processed, but answered after the gateway
   * had given up (it never saw the 2xx); refused: answered 500 and not processed.
   */
  outcome: 'open' | 'taken' | 'late' | 'refused';
  answeredAt: number | undefined;
}

export interface PushEndpointOptions {
  /** How long a slow answer takes (longer than MEDCOM_PUSH_TIMEOUT_MS). */
  readonly slowMs: number;
  /** The receiver's EAN: its key answers the receipts. */
  readonly receiverEan: string;
  /** The gateway's API processes, for the receipts. */
  readonly urls: () => readonly string[];
}

export class PushEndpoint {
  readonly seen: PushRequestSeen[] = [];
  /** Receipts the gateway did not answer 2xx. */
  readonly oddAnswers: string[] = [];
  private mode: PushEndpointMode = 'up';
  private server: Server = this.makeServer();
  private port = 0;
  private readonly slowAnswers = new Set<NodeJS.Timeout>();
  private readonly receipts = new Set<Promise<void>>();

  constructor(private readonly options: PushEndpointOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/medcom/inbound`;
  }

  async start(): Promise<void> {
    await this.listen(0);
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Switches the behaviour; 'down' closes the port (connections refused), leaving 'down' opens it again. */
  async setMode(mode: PushEndpointMode): Promise<void> {
    if (mode === this.mode) return;
    const wasDown = this.mode === 'down';
    this.mode = mode;
    if (mode === 'down') await this.closeServer();
    else if (wasDown) {
      this.server = this.makeServer();
      await this.listen(this.port);
    }
  }

  /** Waits for the receipts in flight, then closes the port. */
  async close(): Promise<void> {
    for (const timer of this.slowAnswers) clearTimeout(timer);
    this.slowAnswers.clear();
    while (this.receipts.size > 0) await Promise.all([...this.receipts]);
    if (this.mode !== 'down') await this.closeServer();
    this.mode = 'down';
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.removeListener('error', reject);
        resolve();
      });
    });
  }

  private closeServer(): Promise<void> {
    const server = this.server;
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private makeServer(): Server {
    return createServer((request, response) => {
      const chunks: Buffer[] = [];
      let gatewayGone = false;
      response.once('close', () => {
        if (!response.writableFinished) gatewayGone = true;
      });
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        const header = (name: string) => String(request.headers[name] ?? '');
        const seen: PushRequestSeen = {
          deliveryId: header('x-medcom-delivery-id'),
          envelopeId: header('x-medcom-envelope-id'),
          sha256: header('x-content-sha256'),
          bodyMatches: createHash('sha256').update(body).digest('hex') === header('x-content-sha256'),
          at: Date.now(),
          outcome: 'open',
          answeredAt: undefined,
        };
        this.seen.push(seen);
        if (this.mode === 'failing') {
          seen.outcome = 'refused';
          seen.answeredAt = Date.now();
          response.writeHead(500, { 'content-type': 'text/plain' }).end('not now');
          return;
        }
        const answer = (): void => {
          seen.answeredAt = Date.now();
          if (gatewayGone || response.destroyed) seen.outcome = 'late';
          else {
            seen.outcome = 'taken';
            response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
          }
          this.process(seen.deliveryId, body);
        };
        if (this.mode !== 'slow') return answer();
        const timer = setTimeout(() => {
          this.slowAnswers.delete(timer);
          answer();
        }, this.options.slowMs);
        this.slowAnswers.add(timer);
      });
    });
  }

  /** The receiver's side of MedCom: a message that asks for a receipt gets a positive one (the same again for a duplicate). */
  private process(deliveryId: string, body: Buffer): void {
    if (!/<(?:\w+:)?AcknowledgementCode>\s*pluspositivkvitt/.test(body.toString('latin1'))) return;
    const receipt = retrying(
      this.options.urls,
      `/api/v1/inbox/${deliveryId}/receipt`,
      {
        method: 'POST',
        headers: { authorization: `Bearer demo-${this.options.receiverEan}`, 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'positive' }),
      },
      Date.now() + 60_000,
    ).then((answered) => {
      if (!answered || answered.status >= 300) {
        this.oddAnswers.push(`receipt on pushed ${deliveryId}: ${answered ? `${answered.status} ${answered.body.slice(0, 200)}` : 'gave up'}`);
      }
    });
    this.receipts.add(receipt);
    void receipt.finally(() => this.receipts.delete(receipt));
  }
}

export interface PushCount {
  /** Requests the endpoint got, and the distinct deliveries and envelopes among them. */
  readonly requests: number;
  readonly deliveries: number;
  readonly envelopes: number;
  /** Requests answered after the gateway had given up, and answered 500. */
  readonly late: number;
  readonly refused: number;
  /** Requests for a delivery the endpoint had processed before: duplicates by MedCom's rule. */
  readonly repeats: number;
  /** Of those, requests after the gateway had received a 2xx for the delivery: the gateway's own duplicates. */
  readonly afterTaken: number;
  /** Deliveries whose requests differ in envelope or sha256, envelopes under two delivery ids, bodies not matching their sha256. */
  readonly inconsistent: readonly string[];
  /** Envelopes the endpoint processed (taken or late). */
  readonly processed: ReadonlySet<string>;
}

/** Counts what the endpoint received: how often each delivery came, and whether the repeats were the same delivery. */
export function countPushes(seen: readonly PushRequestSeen[]): PushCount {
  const processedDeliveries = new Set<string>();
  const takenDeliveries = new Set<string>();
  const processed = new Set<string>();
  const envelopeOf = new Map<string, string>();
  const shaOf = new Map<string, string>();
  const deliveryOf = new Map<string, string>();
  const inconsistent: string[] = [];
  let repeats = 0;
  let afterTaken = 0;
  for (const s of [...seen].sort((a, b) => a.at - b.at)) {
    if (processedDeliveries.has(s.deliveryId)) repeats += 1;
    if (takenDeliveries.has(s.deliveryId)) afterTaken += 1;
    if (s.outcome === 'taken' || s.outcome === 'late') {
      processedDeliveries.add(s.deliveryId);
      processed.add(s.envelopeId);
    }
    if (s.outcome === 'taken') takenDeliveries.add(s.deliveryId);
    if (!s.bodyMatches) inconsistent.push(`${s.deliveryId}: body does not match X-Content-SHA256`);
    const envelope = envelopeOf.get(s.deliveryId) ?? s.envelopeId;
    const sha = shaOf.get(s.deliveryId) ?? s.sha256;
    const delivery = deliveryOf.get(s.envelopeId) ?? s.deliveryId;
    if (envelope !== s.envelopeId || sha !== s.sha256) inconsistent.push(`${s.deliveryId}: pushed as ${envelope} and as ${s.envelopeId}`);
    if (delivery !== s.deliveryId) inconsistent.push(`envelope ${s.envelopeId} pushed as deliveries ${delivery} and ${s.deliveryId}`);
    envelopeOf.set(s.deliveryId, envelope);
    shaOf.set(s.deliveryId, sha);
    deliveryOf.set(s.envelopeId, delivery);
  }
  return {
    requests: seen.length,
    deliveries: envelopeOf.size,
    envelopes: deliveryOf.size,
    late: seen.filter((s) => s.outcome === 'late').length,
    refused: seen.filter((s) => s.outcome === 'refused').length,
    repeats,
    afterTaken,
    inconsistent,
    processed,
  };
}

/** Seconds from `since` until the endpoint first answered 2xx to a push that the gateway received. */
export function firstTakenAfter(seen: readonly PushRequestSeen[], since: number): number | undefined {
  const taken = seen.filter((s) => s.outcome === 'taken' && s.at >= since).map((s) => s.answeredAt as number);
  return taken.length === 0 ? undefined : (Math.min(...taken) - since) / 1000;
}
