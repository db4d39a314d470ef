/**
 * A use case's "no": the HTTP status, a problem type slug, and the words the client needs. The HTTP
 * layer renders it as RFC 9457 problem+json; the CLI and tests can read it as data.
 */
export interface RefusalDetail {
  readonly path: string;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
  /** The rule broken, when one is named (e.g. `R-SPEC-OWN`, `CONSENT-RECEIVER`). */
  readonly code?: string;
}

export class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail: string,
    readonly errors: readonly RefusalDetail[] = [],
  ) {
    super(detail);
  }
}

/** 410: the retention policy removed the bytes; what the gateway knows about the message is still there. */
export function bodyPruned(id: string, prunedAt: Date | null): Refusal {
  const when = prunedAt ? ` on ${prunedAt.toISOString()}` : '';
  return new Refusal(
    410,
    'body-pruned',
    'The message body was pruned',
    `the body of ${id} was removed${when} by the retention policy; its status, receipts, deadlines and timeline are kept (GET /api/v1/messages/{id})`,
  );
}
