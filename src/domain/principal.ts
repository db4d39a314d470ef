/**
 * Who a request acts for, once its API key is known: one endpoint of the register (by its EAN), or
 * the operators. Authorisation (which messages, inboxes and deadlines one may see) is decided on this.
 */
export type Principal = { readonly kind: 'endpoint'; readonly ean: string } | { readonly kind: 'ops' };

/** Reads a key's owner as stored in keys.json: an endpoint EAN, or "ops". */
export function principalOf(value: string): Principal {
  return value === 'ops' ? { kind: 'ops' } : { kind: 'endpoint', ean: value };
}
