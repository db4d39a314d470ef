/**
 * Credentials in connection URLs (`postgres://user:secret@host`, `redis://:secret@host`,
 * `?password=…`) never reach a log line, a start-up message or a readiness answer: every place
 * that shows a URL, or text that may hold one, passes it through here.
 */
const USER_INFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi;
const PASSWORD_PARAMETER = /([?&]password=)[^&#\s]*/gi;

/** `text` with the user and password of every URL in it, and any `password=` parameter, shown as `***`. */
export function hideUrlCredentials(text: string): string {
  return text.replace(USER_INFO, '$1***@').replace(PASSWORD_PARAMETER, '$1***');
}
