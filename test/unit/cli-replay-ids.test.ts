/**
 * The replay's fresh identifiers: new envelope and letter ids in the bytes as sent (every other byte
 * kept, whatever the charset), receipts of the same set quoting the new ones, and defects kept.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../src/codec/decode-message.js';
import { freshIdMap, freshIdSource, rewriteIds, scanIds } from '../../src/cli/replay/message-ids.js';
import { buildReplaySet } from '../../src/cli/replay/replay-set.js';
import { fromPackageRoot } from '../../src/package-root.js';

const valid = (name: string) => fromPackageRoot('fixtures', 'valid', name);
const invalid = (name: string) => fromPackageRoot('fixtures', 'invalid', name);

/** A predictable source: N000000001, N000000002, … as long as asked for. */
function counter(): (length: number) => string {
  let n = 0;
  return (length) => {
    n += 1;
    return `N${String(n).padStart(length - 1, '0')}`;
  };
}

function decoded(bytes: Buffer) {
  const result = decodeMessage(bytes);
  if (!result.ok) throw new Error(`not valid: ${JSON.stringify(result.errors)}`);
  return result.message;
}

describe('fresh identifiers', () => {
  it('changes only the identifiers of a windows-1252 message, whose other bytes stay as they were', () => {
    const original = readFileSync(valid('XDIS20_windows-1252.xml'));
    const text = original.toString('latin1');
    const ids = scanIds(text);
    const map = freshIdMap(ids, counter());
    const rewritten = Buffer.from(rewriteIds(text, map), 'latin1');
    const before = decoded(original);
    const after = decoded(rewritten);
    expect(after.envelope.identifier).toBe(map.get(before.envelope.identifier));
    expect(after.envelope.identifier).not.toBe(before.envelope.identifier);
    expect(after.letters[0]?.identifier).toBe(map.get(before.letters[0]?.identifier as string));
    // The en dash (0x96) and æ/ø are single windows-1252 bytes, untouched.
    expect(rewritten.includes(0x96)).toBe(true);
    let back = rewritten.toString('latin1');
    for (const [old, fresh] of map) back = back.replaceAll(fresh, old);
    expect(Buffer.from(back, 'latin1').equals(original)).toBe(true);
  });

  it('keeps each identifier as long as before, so an identifier that is too long stays a defect', () => {
    const text = readFileSync(invalid('XDIS20_identifier_too_long.xml')).toString('latin1');
    const ids = scanIds(text);
    const map = freshIdMap(ids, freshIdSource());
    for (const [old, fresh] of map) expect(fresh).toHaveLength(Math.max(10, old.length));
    expect(decodeMessage(Buffer.from(rewriteIds(text, map), 'latin1')).ok).toBe(false);
  });

  it('gives a new identifier each time and differs between runs', () => {
    const a = freshIdSource();
    const b = freshIdSource();
    const first = a(14);
    expect(first).toMatch(/^[A-Z0-9]{14}$/);
    expect(a(14)).not.toBe(first);
    expect(b(14)).not.toBe(first);
  });

  it("rewrites a receipt's quoted envelope and letter to the answered message's new identifiers, and orders it after that message", async () => {
    const set = await buildReplaySet([valid('XCTL03_positive_receipt.xml'), invalid('XDIS20_missing_cpr.xml'), valid('XDIS20_admission_acute.xml')], {
      keys: { byEan: {}, demo: true },
      freshIds: true,
      expect: false,
      nextId: counter(),
    });
    const names = set.map((item) => item.file.slice(item.file.lastIndexOf('/') + 1));
    // The invalid copy has the same envelope id but can never be stored: the receipt answers the valid one.
    expect(names).toEqual(['XDIS20_admission_acute.xml', 'XCTL03_positive_receipt.xml', 'XDIS20_missing_cpr.xml']);
    const receipt = set[1];
    expect(receipt?.waitsFor).toBe(0);
    const admission = decoded(set[0]?.body as Buffer);
    const answer = decoded(receipt?.body as Buffer);
    const quoted = answer.letters[0]?.body.receipt;
    expect(quoted?.originalEnvelopeIdentifier).toBe(admission.envelope.identifier);
    expect(quoted?.originalLetters.map((l) => l.letterIdentifier)).toEqual([admission.letters[0]?.identifier]);
    // A receipt's letter id equals its envelope id in MedCom's examples; it still does.
    expect(answer.letters[0]?.identifier).toBe(answer.envelope.identifier);
    expect(set.map((item) => item.key)).toEqual(['demo-5790000000012', 'demo-5790000000036', 'demo-5790000000012']);
  });

  it('without --fresh-ids sends the bytes unchanged', async () => {
    const [item] = await buildReplaySet([valid('XDIS91_windows-1252.xml')], { keys: { byEan: {}, demo: false, fallback: 'k' }, freshIds: false, expect: false, nextId: counter() });
    expect(item?.body.equals(readFileSync(valid('XDIS91_windows-1252.xml')))).toBe(true);
    expect(item?.key).toBe('k');
  });
});
