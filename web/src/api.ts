/**
 * The page's only way to the gateway: the ops API with the session cookie. The CSRF token lives in
 * memory only (re-read from GET /api/v1/ops/session after a reload); the key typed at login is sent
 * once and never kept.
 */

/** A refused request, with the problem+json the gateway answered. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
  ) {
    super(detail ? `${title}: ${detail}` : title);
  }
}

export interface OpsSession {
  readonly name: string;
  readonly csrfToken: string;
  readonly expiresAt: string;
}

let csrfToken: string | null = null;
let onUnauthorized: () => void = () => undefined;

export function useSession(session: OpsSession | null): void {
  csrfToken = session?.csrfToken ?? null;
}

/** What to do when the session has ended (expired, logged out elsewhere): show the login again. */
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

async function problemOf(response: Response): Promise<ApiError> {
  let title = response.statusText || `HTTP ${response.status}`;
  let detail: string | undefined;
  try {
    const body = (await response.json()) as { title?: unknown; detail?: unknown };
    if (typeof body.title === 'string') title = body.title;
    if (typeof body.detail === 'string') detail = body.detail;
  } catch {
    // not JSON: the status line says enough
  }
  return new ApiError(response.status, title, detail);
}

export type Query = Record<string, string | number | undefined | null>;

/** `path?query` without the empty parameters. */
export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && String(value).trim() !== '') params.set(name, String(value).trim());
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function call<T>(method: string, path: string, body?: unknown, options: { quiet401?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (!response.ok) {
    const error = await problemOf(response);
    if (response.status === 401 && !options.quiet401) onUnauthorized();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  const type = response.headers.get('content-type') ?? '';
  return (type.includes('json') ? await response.json() : await response.text()) as T;
}

export const api = {
  get: <T>(path: string, query?: Query): Promise<T> => call<T>('GET', withQuery(path, query)),
  post: <T>(path: string, body: unknown): Promise<T> => call<T>('POST', path, body),
  currentSession: (): Promise<OpsSession> => call<OpsSession>('GET', '/api/v1/ops/session', undefined, { quiet401: true }),
  login: (key: string): Promise<OpsSession> => call<OpsSession>('POST', '/api/v1/ops/session', { key }, { quiet401: true }),
  logout: (): Promise<void> => call<void>('DELETE', '/api/v1/ops/session', undefined, { quiet401: true }),
};
