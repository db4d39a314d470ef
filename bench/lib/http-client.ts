/**
 * A small keep-alive HTTP client over node:http (undici is not a dependency of the project). Every
 * request has a time limit; a network failure is returned as status 0 with the error code, never
 * thrown, so the load loops can count it and go on.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface Reply {
  /** HTTP status, or 0 when no response arrived (see `error`). */
  readonly status: number;
  readonly body: Buffer;
  /** Round trip in milliseconds, from sending the request to the last byte of the response. */
  readonly ms: number;
  readonly error?: string;
}

export interface RequestSpec {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly key?: string;
  readonly body?: Buffer | string;
  readonly contentType?: string;
  readonly timeoutMs?: number;
}

export class HttpClient {
  readonly agent: http.Agent;

  constructor(
    private readonly host: string,
    private readonly port: number,
    maxSockets: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' });
  }

  request(spec: RequestSpec): Promise<Reply> {
    const started = performance.now();
    return new Promise<Reply>((resolve) => {
      let settled = false;
      const finish = (reply: Omit<Reply, 'ms'>) => {
        if (settled) return;
        settled = true;
        resolve({ ...reply, ms: performance.now() - started });
      };
      const headers: http.OutgoingHttpHeaders = {};
      if (spec.key) headers.authorization = `Bearer ${spec.key}`;
      const payload = spec.body === undefined ? undefined : typeof spec.body === 'string' ? Buffer.from(spec.body) : spec.body;
      if (payload) {
        headers['content-type'] = spec.contentType ?? 'application/octet-stream';
        headers['content-length'] = payload.length;
      }
      const req = http.request({ host: this.host, port: this.port, method: spec.method, path: spec.path, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => finish({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', (error: NodeJS.ErrnoException) => finish({ status: 0, body: Buffer.alloc(0), error: error.code ?? error.message }));
      });
      req.setTimeout(spec.timeoutMs ?? 30_000, () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.on('error', (error: NodeJS.ErrnoException) => finish({ status: 0, body: Buffer.alloc(0), error: error.code ?? error.message }));
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Parses a JSON reply body; undefined when it is not JSON. */
export function jsonOf<T>(reply: Reply): T | undefined {
  try {
    return JSON.parse(reply.body.toString('utf8')) as T;
  } catch {
    return undefined;
  }
}
