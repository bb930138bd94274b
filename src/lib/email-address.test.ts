import { describe, expect, it } from 'vitest';
import { emailDomain, emailField, normalizeEmail, parseEmail, splitEmailList } from './email-address.js';

const ok = (input: string) => {
  const r = parseEmail(input);
  expect(r, JSON.stringify(input)).toMatchObject({ ok: true });
  return (r as { email: string }).email;
};
const invalid = (input: string) => expect(parseEmail(input), JSON.stringify(input)).toEqual({ ok: false, reason: 'invalid' });

describe('normalizeEmail / parseEmail', () => {
  it('T-BIND-04: trims and lower-cases, so every spelling is one identity', () => {
    expect(normalizeEmail(' Alice@Example.COM ')).toBe('alice@example.com');
    expect(ok(' Alice@Example.COM ')).toBe('alice@example.com');
    expect(ok('alice@EXAMPLE.com')).toBe('alice@example.com');
    expect(ok('\u00a0alice@example.com\u3000')).toBe('alice@example.com'); // NBSP / ideographic space fold to spaces, then trim
    invalid('\talice@example.com'); // tabs are control characters: refused, not trimmed
    expect(ok('alice@example.com')).toBe('alice@example.com');
  });

  it('folds compatibility characters with NFKC (full-width letters)', () => {
    expect(ok('ａｌｉｃｅ@example.com')).toBe('alice@example.com');
    expect(ok('alice＠example.com')).toBe('alice@example.com');
  });

  it('T-BIND-05: a Cyrillic look-alike is invalid, never folded to the Latin address', () => {
    const cyrillic = '\u0430lice@example.com'; // Cyrillic а
    expect(normalizeEmail(cyrillic)).not.toBe('alice@example.com');
    invalid(cyrillic);
    invalid('p\u0430ypal@example.com');
    // Cyrillic in the domain is a different (IDN) domain: stored in punycode, never the Latin one.
    const idn = ok('alice@ex\u0430mple.com');
    expect(idn).toMatch(/^alice@xn--/);
    expect(idn).not.toBe('alice@example.com');
  });

  it('T-BIND-05: an IDN domain and its punycode form are one address', () => {
    expect(ok('bob@bücher.test')).toBe('bob@xn--bcher-kva.test');
    expect(ok('bob@xn--bcher-kva.test')).toBe('bob@xn--bcher-kva.test');
    expect(ok('Bob@BÜCHER.test')).toBe('bob@xn--bcher-kva.test');
    // NFD input (u + combining diaeresis) lands on the same address.
    expect(ok('bob@bu\u0308cher.test')).toBe('bob@xn--bcher-kva.test');
    expect(emailDomain(ok('bob@bücher.test'))).toBe('xn--bcher-kva.test');
  });

  it('T-BIND-04: CR/LF/NUL and other control characters are rejected (no header injection)', () => {
    invalid('alice@example.com\r\nBcc: victim@example.com');
    invalid('alice@example.com\n');
    invalid('alice@example.com\r');
    invalid('alice\u0000@example.com');
    invalid('alice@example.com\u0000');
    invalid('ali\u007fce@example.com');
    invalid('alice@exa\u0008mple.com');
  });

  it('T-BIND-04: a trailing dot is rejected (no second identity for the same mailbox)', () => {
    invalid('alice@example.com.');
    invalid('alice@example.com. ');
    invalid('alice.@example.com');
    invalid('.alice@example.com');
    invalid('al..ice@example.com');
  });

  it('rejects malformed and over-long addresses', () => {
    for (const bad of ['', ' ', 'alice', 'alice@', '@example.com', 'alice@@example.com', 'alice@example', 'alice example@example.com', 'a@b@c.com', '<alice@example.com>', 'Alice <alice@example.com>']) invalid(bad);
    invalid(`${'a'.repeat(250)}@example.com`); // > 254 after normalisation
    invalid(`a@${'b'.repeat(400)}.com`); // > 320 raw
    expect(ok(`${'a'.repeat(64)}@example.com`)).toBe(`${'a'.repeat(64)}@example.com`);
  });

  it('T-ERR-09: a pathological address is rejected quickly (no catastrophic backtracking)', () => {
    const started = performance.now();
    invalid(`a@${'a'.repeat(50_000)}!`);
    invalid(`${'a.'.repeat(150)}@example.com!`);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('accepts ordinary real-world forms', () => {
    expect(ok('first.last+tag@sub.example.co.uk')).toBe('first.last+tag@sub.example.co.uk');
    expect(ok("o'brien@example.ie")).toBe("o'brien@example.ie");
    expect(ok('user_name-1@example-domain.org')).toBe('user_name-1@example-domain.org');
  });
});

describe('emailField (zod)', () => {
  it('validates and normalises in one step', () => {
    expect(emailField.parse(' Alice@Example.COM ')).toBe('alice@example.com');
    expect(emailField.safeParse('\u0430lice@example.com').success).toBe(false);
    expect(emailField.safeParse('alice@example.com\r\n').success).toBe(false);
    expect(emailField.safeParse('x'.repeat(321)).success).toBe(false);
  });
});

describe('splitEmailList', () => {
  it('splits on commas, semicolons, spaces, tabs and newlines, dropping empties', () => {
    expect(splitEmailList('a@x.test, b@x.test;c@x.test\nd@x.test\r\ne@x.test\tf@x.test  g@x.test')).toEqual([
      'a@x.test',
      'b@x.test',
      'c@x.test',
      'd@x.test',
      'e@x.test',
      'f@x.test',
      'g@x.test',
    ]);
    expect(splitEmailList(' ,; \n\n , ')).toEqual([]);
    expect(splitEmailList('')).toEqual([]);
    expect(splitEmailList('only@x.test')).toEqual(['only@x.test']);
    expect(splitEmailList(',,a@x.test;;\n\nb@x.test,,')).toEqual(['a@x.test', 'b@x.test']);
  });

  it('entries still need parseEmail: splitting does not validate', () => {
    const entries = splitEmailList('good@x.test bad@ Bad@X.TEST');
    expect(entries).toEqual(['good@x.test', 'bad@', 'Bad@X.TEST']);
    expect(entries.map((e) => parseEmail(e).ok)).toEqual([true, false, true]);
  });
});
