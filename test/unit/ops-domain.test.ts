import { describe, expect, it } from 'vitest';
import { UUID_KEY, SERIAL_KEY, decodeCursor, encodeCursor } from '../../src/app/keyset-cursor.js';
import { requireReason } from '../../src/app/ops-input.js';
import { Refusal } from '../../src/app/refusal.js';
import { csvDocument } from '../../src/domain/csv.js';
import { overallStatus } from '../../src/domain/message-status.js';
import { inTimeOrder } from '../../src/domain/timeline-order.js';

describe('the overall status of a message follows its deliveries', () => {
  it.each([
    [[], 'accepted'],
    [['waiting'], 'accepted'],
    [['leased', 'waiting'], 'accepted'],
    [['delivered', 'waiting'], 'partly-delivered'],
    [['delivered', 'delivered'], 'delivered'],
    [['acknowledged', 'delivered'], 'partly-acknowledged'],
    [['acknowledged', 'acknowledged'], 'acknowledged'],
    [['acknowledged'], 'acknowledged'],
    [['rejected'], 'rejected'],
    [['rejected', 'acknowledged'], 'partly-rejected'],
    [['unacknowledged', 'acknowledged'], 'unacknowledged'],
    [['dead'], 'dead-lettered'],
    [['dead', 'acknowledged'], 'partly-dead-lettered'],
  ] as const)('%j → %s', (states, expected) => {
    expect(overallStatus('accepted', states)).toBe(expected);
  });

  it('a resend with no deliveries of its own stays a duplicate', () => {
    expect(overallStatus('duplicate', [])).toBe('duplicate');
  });
});

describe('timeline order', () => {
  const at = new Date('2026-11-23T09:00:00Z');
  const later = new Date('2026-11-23T09:00:01Z');

  it('puts the answer before the receipt the gateway sent for it when both share an instant', () => {
    const entries = [
      { at, kind: 'receipt-sent', sequence: 1 },
      { at, kind: 'receipted', sequence: 2 },
    ];
    expect(inTimeOrder(entries).map((e) => e.kind)).toEqual(['receipted', 'receipt-sent']);
  });

  it('orders by time first, then cause, then insertion; unknown kinds last within an instant; the input is not changed', () => {
    const entries = [
      { at: later, kind: 'accepted', sequence: 0 },
      { at, kind: 'ops-body-read', sequence: 9 },
      { at, kind: 'leased', sequence: 5 },
      { at, kind: 'lease-expired', sequence: 6 },
      { at, kind: 'leased', sequence: 4 },
    ];
    const copy = [...entries];
    expect(inTimeOrder(entries).map((e) => `${e.kind}#${e.sequence}`)).toEqual(['lease-expired#6', 'leased#4', 'leased#5', 'ops-body-read#9', 'accepted#0']);
    expect(entries).toEqual(copy);
  });
});

describe('keyset cursors', () => {
  it('round-trips a position with microseconds', () => {
    const position = { at: '2026-11-23T09:00:00.123456Z', key: '0f8fad5b-d9cb-469f-a165-70867728950e' };
    expect(decodeCursor(encodeCursor(position), UUID_KEY)).toEqual(position);
  });

  it.each([
    ['not base64 json', 'x'],
    ['an array of the wrong length', Buffer.from('["2026-11-23T09:00:00Z"]').toString('base64url')],
    ['a bad instant', Buffer.from('["yesterday","0f8fad5b-d9cb-469f-a165-70867728950e"]').toString('base64url')],
    ['an impossible date', Buffer.from('["2026-13-45T09:00:00Z","0f8fad5b-d9cb-469f-a165-70867728950e"]').toString('base64url')],
    ['a key of the wrong shape', Buffer.from("[\"2026-11-23T09:00:00Z\",\"1' OR 1=1\"]").toString('base64url')],
    ['an object', Buffer.from('{"at":"2026-11-23T09:00:00Z"}').toString('base64url')],
  ])('refuses %s with a 400', (_what, cursor) => {
    expect(() => decodeCursor(cursor, UUID_KEY)).toThrow(Refusal);
    try {
      decodeCursor(cursor, UUID_KEY);
    } catch (error) {
      expect((error as Refusal).status).toBe(400);
      expect((error as Refusal).slug).toBe('bad-cursor');
    }
  });

  it('a uuid cursor is not a serial cursor', () => {
    const cursor = encodeCursor({ at: '2026-11-23T09:00:00Z', key: '0f8fad5b-d9cb-469f-a165-70867728950e' });
    expect(() => decodeCursor(cursor, SERIAL_KEY)).toThrow(Refusal);
  });
});

describe('reasons', () => {
  it.each([[undefined], [''], ['x'], ['ok then'], [42], ['a'.repeat(600)], ['1 2 3 4']])('refuses %j', (reason) => {
    expect(() => requireReason(reason)).toThrow(expect.objectContaining({ status: 400, slug: 'reason-required' }));
  });

  it('accepts a few words and tidies the spacing', () => {
    expect(requireReason('  kommunen   mangler udskrivningsrapporten ')).toBe('kommunen mangler udskrivningsrapporten');
  });
});

describe('CSV', () => {
  it('quotes commas, quotes and line breaks (RFC 4180) and ends lines with CRLF', () => {
    const csv = csvDocument(['a', 'b'] as const, [
      { a: 'plain', b: 'with, comma' },
      { a: 'say "hi"', b: 'two\nlines' },
      { a: null, b: 7 },
    ]);
    expect(csv).toBe('a,b\r\nplain,"with, comma"\r\n"say ""hi""","two\nlines"\r\n,7\r\n');
  });
});
