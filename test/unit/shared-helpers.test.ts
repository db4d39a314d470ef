/**
 * The helpers that replaced code written several times: each one is the single place its rule
 * lives, so each is tested here for what it must refuse or hide, not only for the plain case.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hasNonXmlCharacter, replaceNonXmlCharacters } from '../../src/codec/xml-characters.js';
import { isRealDay } from '../../src/domain/calendar.js';
import { oioxmlReceiptOf, type ReceiptKind } from '../../src/domain/catalogue.js';
import { agreementPartiesOf } from '../../src/domain/deadlines/profiles.js';
import type { Endpoint } from '../../src/domain/endpoint.js';
import { hideUrlCredentials } from '../../src/url-credentials.js';
import { TimeoutError, withTimeout } from '../../src/with-timeout.js';
import { hasShared } from '../support/shared-dir.js';

describe('hideUrlCredentials', () => {
  it.each([
    ['postgres://gateway:s3cret@db.example:5432/medcom', 'postgres://***@db.example:5432/medcom'],
    ['redis://:s3cret@127.0.0.1:6379/2', 'redis://***@127.0.0.1:6379/2'],
    ['rediss://default:s3cret@cache.example:6380', 'rediss://***@cache.example:6380'],
    ['redis://127.0.0.1:6379?password=s3cret&db=1', 'redis://127.0.0.1:6379?password=***&db=1'],
    ['Redis at redis://:a@h1 and PostgreSQL at postgres://u:b@h2/x failed', 'Redis at redis://***@h1 and PostgreSQL at postgres://***@h2/x failed'],
  ])('hides the credentials in %s', (text, shown) => {
    expect(hideUrlCredentials(text)).toBe(shown);
    expect(hideUrlCredentials(text)).not.toMatch(/s3cret|:a@|:b@/);
  });

  it('leaves a URL without credentials, and an @ outside the authority, as they are', () => {
    expect(hideUrlCredentials('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(hideUrlCredentials('https://example.org/people/@me')).toBe('https://example.org/people/@me');
  });
});

describe('withTimeout', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('rejects with TimeoutError naming what took too long when the promise does not settle in time', async () => {
    vi.useFakeTimers();
    const never = new Promise<string>(() => undefined);
    const raced = withTimeout(never, 500, 'PING');
    const settled = expect(raced).rejects.toThrow(new TimeoutError('PING took longer than 500 ms'));
    await vi.advanceTimersByTimeAsync(500);
    await settled;
  });

  it('settles like the promise when it is in time, and leaves no timer behind', async () => {
    vi.useFakeTimers();
    await expect(withTimeout(Promise.resolve('PONG'), 500, 'PING')).resolves.toBe('PONG');
    await expect(withTimeout(Promise.reject(new Error('refused')), 500, 'PING')).rejects.toThrow('refused');
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('XML characters', () => {
  it.each([
    ['NUL', 'a\u0000b'],
    ['a vertical tab', 'a\u000Bb'],
    ['an escape', 'a\u001Bb'],
    ['a lone high surrogate', 'a\uD83Db'],
    ['a lone low surrogate', 'a\uDE00b'],
    ['U+FFFE', 'a\uFFFEb'],
  ])('finds %s and replaces it with U+FFFD', (_name, text) => {
    expect(hasNonXmlCharacter(text)).toBe(true);
    expect(replaceNonXmlCharacters(text)).toBe('a\uFFFDb');
  });

  it('lets tab, line breaks, Danish letters and paired surrogates (emoji) through unchanged', () => {
    const text = 'Æble\tøl\r\nå 😀';
    expect(hasNonXmlCharacter(text)).toBe(false);
    expect(replaceNonXmlCharacters(text)).toBe(text);
  });
});

describe('isRealDay', () => {
  it.each([
    [2024, 2, 29, true],
    [2025, 2, 29, false],
    [2026, 4, 31, false],
    [2026, 13, 1, false],
    [2026, 0, 10, false],
    [2026, 12, 31, true],
    [99, 1, 1, false],
  ])('%i-%i-%i is real: %s', (year, month, day, real) => {
    expect(isRealDay(year, month, day)).toBe(real);
  });
});

describe('oioxmlReceiptOf', () => {
  it('gives the XCTL letter and version code the catalogue holds for each kind the gateway writes', () => {
    const written = (['negative-vans', 'negative', 'positive'] as const).map((kind) => {
      const { type, variant } = oioxmlReceiptOf(kind);
      return [type.code, variant.versionCode, variant.generation];
    });
    expect(written).toEqual([
      ['XCTL01', 'XC0130Q', '2005/08/07'],
      ['XCTL02', 'XC0230Q', '2005/08/07'],
      ['XCTL03', 'XC0330Q', '2005/08/07'],
    ]);
  });

  it('refuses a kind the catalogue has no OIOXML receipt for', () => {
    expect(() => oioxmlReceiptOf('maybe' as ReceiptKind)).toThrow(/unknown receipt kind "maybe"/);
  });
});

describe('agreementPartiesOf', () => {
  const endpoint = (ean: string, region?: string): Endpoint => ({
    ean,
    kind: 'hospital',
    name: ean,
    accepts: [],
    delivery: { mode: 'pull' },
    enabled: true,
    ...(region !== undefined ? { region } : {}),
  });
  const byEan = new Map([endpoint('1', 'Midtjylland'), endpoint('2', 'Syddanmark'), endpoint('3')].map((e) => [e.ean, e]));
  const register = { find: (ean: string) => byEan.get(ean) };

  it("takes the sender's region, else the receiver's", () => {
    expect(agreementPartiesOf(register, '1', '2')).toEqual({ senderEan: '1', receiverEan: '2', region: 'Midtjylland' });
    expect(agreementPartiesOf(register, '3', '2')).toEqual({ senderEan: '3', receiverEan: '2', region: 'Syddanmark' });
  });

  it('names no region when neither party has one, the party is unknown, or there is no register', () => {
    expect(agreementPartiesOf(register, '3', '9')).toEqual({ senderEan: '3', receiverEan: '9' });
    expect(agreementPartiesOf(undefined, '1', '2')).toEqual({ senderEan: '1', receiverEan: '2' });
  });
});

describe('hasShared (the one gate for tests that need ../shared)', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('says yes for what ../shared holds', () => {
    vi.stubEnv('MEDCOM_REQUIRE_SHARED', '1');
    expect(hasShared('medcom-xsd')).toBe(true);
  });

  it('says no, with a warning, for what is missing; throws instead when MEDCOM_REQUIRE_SHARED=1', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    vi.stubEnv('MEDCOM_REQUIRE_SHARED', '');
    expect(hasShared('no-such-folder')).toBe(false);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/no-such-folder is missing/));
    vi.stubEnv('MEDCOM_REQUIRE_SHARED', '1');
    expect(() => hasShared('no-such-folder')).toThrow(/MEDCOM_REQUIRE_SHARED=1 forbids skipping/);
  });
});
