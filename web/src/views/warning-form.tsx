/**
 * "Warned by phone/fax": records a warning given outside MedCom through the deadline fulfilment route,
 * shown only when that route takes a `channel` (read from the gateway's OpenAPI description).
 */
export function WarningForm() {
  return null;
}
