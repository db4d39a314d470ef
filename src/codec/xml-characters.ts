/**
 * Characters XML 1.0 cannot carry at all: C0 controls other than tab, LF and CR; lone surrogates
 * (the `u` flag matches a surrogate only when it is unpaired); U+FFFE and U+FFFF. PostgreSQL's
 * jsonb refuses U+0000 too, so text checked here is safe to store as well as to write into a receipt.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point of this pattern
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/u;
const NOT_XML_ALL = new RegExp(NOT_XML.source, 'gu');

/** True when `text` holds a character XML cannot carry. */
export function hasNonXmlCharacter(text: string): boolean {
  return NOT_XML.test(text);
}

/** `text` with every character XML cannot carry replaced by U+FFFD, for free text meant for a person. */
export function replaceNonXmlCharacters(text: string): string {
  return text.replace(NOT_XML_ALL, '\uFFFD');
}
