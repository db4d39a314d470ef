/**
 * Building blocks of the route schemas (TypeBox: JSON Schema that TypeScript reads as types, so a
 * handler's params, query, body and answer are typed from the schema the route declares).
 *
 * Two rules every route follows:
 * - Response objects are open (`additionalProperties: true`): the serialiser (fast-json-stringify)
 *   writes only listed properties of a closed object, so a field a use case adds would silently vanish
 *   from the API. The schema documents what is there; it never drops anything.
 * - Every answer is declared, errors included: `...problems({ 404: '…' })` documents each 4xx/5xx as
 *   `application/problem+json` with its status, so /docs lists every answer a client can get.
 */
import { Type, type Static, type TProperties, type TSchema, type TUnsafe } from '@fastify/type-provider-typebox';
import { problemResponse } from '../plugins/openapi.js';

/** An object in a response: listed properties documented and typed, others still written. */
export function Open<T extends TProperties>(properties: T, options: { description?: string } = {}) {
  return Type.Object(properties, { ...options, additionalProperties: true });
}

/** An array in a response; typed readonly, as the use cases hand out their lists. */
export function List<T extends TSchema>(items: T, options: { description?: string } = {}): TUnsafe<readonly Static<T>[]> {
  return Type.Unsafe<readonly Static<T>[]>({ type: 'array', ...options, items });
}

export function Nullable<T extends TSchema>(schema: T, options: { description?: string } = {}) {
  return Type.Union([schema, Type.Null()], options);
}

/** A UUID as PostgreSQL takes it (the `uuid` format is narrowed to exactly this in http/app.ts). */
export const Uuid = Type.String({ format: 'uuid', description: 'A UUID such as 7d444840-9dc0-11d1-b245-5ffdce74fad2' });

/** `/…/:id` where the id is a UUID: anything else is a 400 problem before the handler runs. */
export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

export const Ean = Type.String({ description: 'An EAN (GLN) location number, 13 digits' });

export const DateTime = Type.String({ format: 'date-time', description: 'RFC 3339 date-time with an offset, e.g. 2026-11-23T09:00:00+01:00' });

/**
 * The problem answers of a route, by status: `response: { 200: …, ...problems({ 404: 'No such message' }) }`.
 * Typed `never`: handlers throw problems (or Refusals), they never return them, so a handler's return
 * type stays exactly its 2xx schemas.
 */
export function problems<S extends number>(answers: Record<S, string>): Record<S, TUnsafe<never>> {
  const out = {} as Record<S, TUnsafe<never>>;
  for (const [status, description] of Object.entries<string>(answers)) out[Number(status) as S] = Type.Unsafe<never>(problemResponse(description));
  return out;
}

/** What every gateway route can answer besides its own: the store or the start not there yet. */
export const UNAVAILABLE = { 503: 'The gateway is starting or the store is not reachable (with Retry-After): send again' } as const;
