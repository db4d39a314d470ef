/**
 * The endpoint register (like MedCom's EER): who may send and receive, which message types each
 * accepts, and how each is delivered to. Plain data; config/endpoints.ts loads and validates the file
 * that fills it.
 */
import type { EndpointKind, MessageTypeCode } from './catalogue.js';

/** The kind of hospital an endpoint is (endpoints.json `hospitalKind`; domain.md §5.5). */
export const HOSPITAL_KINDS = [
  'REGIONAL_HOSPITAL',
  'OTHER_PUBLIC_HOSPITAL',
  'PRIVATE_EXTENDED_FREE_CHOICE',
  'PRIVATE_SPECIALISED_79',
  'PRIVATE_SELF_PAY',
] as const;
export type HospitalKind = (typeof HOSPITAL_KINDS)[number];

export type DeliveryMode = { readonly mode: 'pull' } | { readonly mode: 'push'; readonly url: string };

export interface Endpoint {
  readonly ean: string;
  readonly kind: EndpointKind;
  readonly name: string;
  readonly department?: string;
  readonly identifier?: string;
  readonly identifierCode?: string;
  readonly accepts: readonly MessageTypeCode[];
  readonly delivery: DeliveryMode;
  /** A disabled endpoint is known but cannot receive: its messages are answered with an XCTL01. */
  readonly enabled: boolean;
  /**
   * Hospitals only: what kind of hospital it is, for the retraining-plan rules (domain.md §5.5; README
   * "Retraining-plan routing"). Absent means REGIONAL_HOSPITAL, a public hospital of a region.
   */
  readonly hospitalKind?: HospitalKind;
  /** The region whose health agreement the endpoint works under, e.g. `Midtjylland`. */
  readonly region?: string;
  /** Public hospitals only: the kommunenumre whose citizens it is the home hospital (hjemhospital) for. */
  readonly homeHospitalFor?: readonly string[];
  /**
   * TLS client certificates that authenticate as this endpoint (mutual TLS, an alternative to API
   * keys), by SHA-256 fingerprint: upper-case hex pairs separated by colons.
   */
  readonly clientCertificates?: readonly ClientCertificate[];
}

export interface ClientCertificate {
  readonly sha256: string;
  /** For people reading the file: whose certificate, until when. */
  readonly note?: string;
}

export interface EndpointRegister {
  readonly endpoints: readonly Endpoint[];
  /** The gateway's own location number: the sender of the XCTL01 it issues as the VANS would. */
  readonly gatewayEan: string;
  readonly demoKeys: boolean;
  find(ean: string): Endpoint | undefined;
}
