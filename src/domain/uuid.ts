/**
 * A UUID as the store's `uuid` type takes it, written the one way the gateway hands ids out
 * (8-4-4-4-12 hex digits). Anything else in an id position is refused before it reaches a query.
 */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(text: string): boolean {
  return UUID_PATTERN.test(text);
}
