/**
 * One push attempt: POST the original bytes, with their original Content-Type, to the receiver's
 * endpoint. The outcome says only what went wrong (HTTP status, timeout, network error code): never
 * the response body, never the message, never the URL (it may carry credentials).
 */
import type { PushPayload } from '../app/delivery-lifecycle.js';

export type PushOutcome = { readonly ok: true; readonly status: number } | { readonly ok: false; readonly reason: string; readonly status?: number };

export const PUSH_USER_AGENT = 'medcom-gateway';

/** Header values must be visible ASCII; anything else is percent-encoded rather than refused. */
function headerValue(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}

export function pushHeaders(payload: PushPayload): Record<string, string> {
  return {
    'content-type': payload.contentType,
    'user-agent': PUSH_USER_AGENT,
    'x-medcom-delivery-id': headerValue(payload.deliveryId),
    'x-medcom-message-id': headerValue(payload.messageId),
    'x-medcom-envelope-id': headerValue(payload.envelopeId),
    'x-content-sha256': payload.sha256,
  };
}

function reasonOf(error: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `no answer within ${timeoutMs} ms`;
  const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'AbortError') return 'the push was cancelled';
  // undici reports "fetch failed" with the system error (ECONNREFUSED, ENOTFOUND, …) as its cause.
  return `network error: ${err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(error)}`;
}

/**
 * POSTs the payload. Redirects are not followed (a POST turned into a GET would lose the body): a
 * 3xx, like any status outside 2xx, is a failed attempt. `signal` cancels the attempt early.
 */
export async function postDelivery(payload: PushPayload, timeoutMs: number, signal?: AbortSignal): Promise<PushOutcome> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(payload.url, {
      method: 'POST',
      headers: pushHeaders(payload),
      body: payload.body,
      redirect: 'manual',
      signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
    });
    // The answer's body is not read (nor logged); dropping it frees the connection.
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
    return { ok: false, status: response.status, reason: `HTTP ${response.status}` };
  } catch (error) {
    return { ok: false, reason: reasonOf(error, timeout.aborted, timeoutMs) };
  }
}
