import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptSecret, deriveToken, encryptSecret, hashToken, randomToken, safeEqual, sha256Hex } from './crypto.js';

const key = randomBytes(32);

describe('encryptSecret / decryptSecret (AES-256-GCM)', () => {
  it('round-trips, including unicode and empty strings', () => {
    for (const plain of ['hunter2', '', 'pässwörd 🔑 密码', 'x'.repeat(10_000)]) {
      const sealed = encryptSecret(key, plain);
      expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]*$/);
      expect(decryptSecret(key, sealed)).toBe(plain);
    }
  });

  it('uses a fresh IV every time (same plaintext → different ciphertext) and never contains the plaintext', () => {
    const a = encryptSecret(key, 'same secret');
    const b = encryptSecret(key, 'same secret');
    expect(a).not.toBe(b);
    expect(a.split('.')[1]).not.toBe(b.split('.')[1]);
    expect(a).not.toContain('same secret');
    expect(Buffer.from(a.split('.')[3]!, 'base64url').toString('utf8')).not.toContain('same secret');
  });

  it('tampered ciphertext, tag or IV throws (authenticated encryption)', () => {
    const sealed = encryptSecret(key, 'the launch codes');
    const [v, iv, tag, ct] = sealed.split('.') as [string, string, string, string];
    const flip = (s: string) => {
      const buf = Buffer.from(s, 'base64url');
      buf[0] = buf[0]! ^ 0x01;
      return buf.toString('base64url');
    };
    expect(() => decryptSecret(key, [v, iv, tag, flip(ct)].join('.'))).toThrow();
    expect(() => decryptSecret(key, [v, iv, flip(tag), ct].join('.'))).toThrow();
    expect(() => decryptSecret(key, [v, flip(iv), tag, ct].join('.'))).toThrow();
    expect(() => decryptSecret(key, [v, iv, tag, ct.slice(0, -2)].join('.'))).toThrow();
    // Positive control: the untouched value still decrypts.
    expect(decryptSecret(key, sealed)).toBe('the launch codes');
  });

  it('a different key throws', () => {
    const sealed = encryptSecret(key, 'secret');
    expect(() => decryptSecret(randomBytes(32), sealed)).toThrow();
  });

  it('unknown versions and malformed input throw', () => {
    const sealed = encryptSecret(key, 'secret');
    expect(() => decryptSecret(key, sealed.replace(/^v1\./, 'v2.'))).toThrow('Unsupported ciphertext format');
    expect(() => decryptSecret(key, 'v1.abc')).toThrow('Unsupported ciphertext format');
    expect(() => decryptSecret(key, '')).toThrow('Unsupported ciphertext format');
    expect(() => decryptSecret(key, 'plain text')).toThrow();
  });
});

describe('deriveToken (ADR 0002)', () => {
  const id = '3f1d0c7e-8a61-4f0e-9a7b-2c4d5e6f7a8b';
  it('is deterministic for the same inputs', () => {
    expect(deriveToken(key, 'invite', id, 'nonce-1')).toBe(deriveToken(key, 'invite', id, 'nonce-1'));
    expect(deriveToken(key, 'invite', id, 'nonce-1')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('differs per nonce, purpose, id and key', () => {
    const base = deriveToken(key, 'invite', id, 'nonce-1');
    const variants = [
      deriveToken(key, 'invite', id, 'nonce-2'),
      deriveToken(key, 'verify-email', id, 'nonce-1'),
      deriveToken(key, 'invite', '00000000-0000-4000-8000-000000000000', 'nonce-1'),
      deriveToken(randomBytes(32), 'invite', id, 'nonce-1'),
    ];
    expect(new Set([base, ...variants]).size).toBe(5);
  });

  it('field boundaries are unambiguous (no concatenation collisions)', () => {
    expect(deriveToken(key, 'ab', 'c', 'd')).not.toBe(deriveToken(key, 'a', 'bc', 'd'));
    expect(deriveToken(key, 'a', 'b', 'cd')).not.toBe(deriveToken(key, 'a', 'bc', 'd'));
  });
});

describe('hashToken / sha256Hex / randomToken / safeEqual', () => {
  it('hashToken is SHA-256 hex', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashToken('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const token = randomToken();
    expect(hashToken(token)).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(sha256Hex('abc')).toBe(hashToken('abc'));
    expect(sha256Hex(Buffer.from('abc'))).toBe(hashToken('abc'));
  });

  it('randomToken: 256 bits base64url by default, from the given source', () => {
    const a = randomToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken()).not.toBe(a);
    expect(randomToken(() => Buffer.alloc(32, 0))).toBe('A'.repeat(43));
    expect(randomToken(randomBytes, 16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('safeEqual compares without throwing on different lengths', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
  });
});
