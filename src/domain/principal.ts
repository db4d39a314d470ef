/**
 * Who a request acts for, once its API key is known: one endpoint of the register (by its EAN), or
 * the operators. Authorisation (which messages, inboxes and deadlines one may see) is decided on this.
 */
export type Principal = { readonly kind: 'endpoint'; readonly ean: string } | { readonly kind: 'ops'; readonly name: string };

/** Who is looking, as authorisation sees it: an endpoint sees its own messages, operations see all. */
export type Viewer = { readonly kind: 'endpoint'; readonly ean: string } | { readonly kind: 'ops' };

/**
 * Reads a key's owner as stored in keys.json: an endpoint EAN, or "ops" with the operator's name (the
 * audit log names people, so every ops key belongs to one; an older key without a name is named by its id).
 */
export function principalOf(value: string, name?: string, keyId?: string): Principal {
  return value === 'ops' ? { kind: 'ops', name: name ?? `operator with key ${keyId ?? 'unknown'}` } : { kind: 'endpoint', ean: value };
}
