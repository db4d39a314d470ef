/**
 * A small HTTP client for the gateway's API, as the integrator commands (replay, inbox) use it: a
 * base URL, an API key per request, the raw answer back. Node's own fetch; no retries — a replay must
 * report what the gateway answered, not hide it.
 */
import { performance } from 'node:perf_hooks';

export interface GatewayAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
  /** Time from sending the request to having read the whole answer. */
  readonly latencyMs: number;
}

export interface GatewayRequest {
  readonly method: 'GET' | 'POST';
  /** Path and query, e.g. `/api/v1/inbox?wait=30`. */
  readonly path: string;
  readonly key: string;
  readonly body?: Buffer | string;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

/** The gateway could not be reached (refused, reset, DNS): no HTTP answer at all. */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
}

export class GatewayClient {
  private readonly base: URL;

  constructor(url: string) {
    let base: URL;
    try {
      base = new URL(url);
    } catch {
      throw new UnreachableError(`--url ${JSON.stringify(url)} is not a URL: give e.g. http://localhost:8080`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new UnreachableError(`--url must be http:// or https://, not ${base.protocol}`);
    this.base = base;
  }

  get url(): string {
    return this.base.href;
  }

  async send(request: GatewayRequest): Promise<GatewayAnswer> {
    const headers: Record<string, string> = { authorization: `Bearer ${request.key}` };
    if (request.contentType) headers['content-type'] = request.contentType;
    const started = performance.now();
    let response: Response;
    try {
      response = await fetch(new URL(request.path, this.base), {
        method: request.method,
        headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      const cause = (error as { cause?: { message?: string } }).cause?.message;
      throw new UnreachableError(`cannot reach ${this.base.origin}: ${cause ?? (error as Error).message}`);
    }
    const body = Buffer.from(await response.arrayBuffer());
    return { status: response.status, headers: response.headers, body, latencyMs: performance.now() - started };
  }
}

/** The answer's JSON body, or undefined when it is not JSON. */
export function jsonOf(answer: GatewayAnswer): unknown {
  try {
    return JSON.parse(answer.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The slug of a problem+json `type` (`…/problems/unroutable` → `unroutable`). */
export function problemSlug(document: unknown): string | undefined {
  const type = (document as { type?: unknown } | undefined)?.type;
  return typeof type === 'string' ? type.slice(type.lastIndexOf('/') + 1) : undefined;
}
