import { Secret, TOTP } from 'otpauth';

/** RFC 6238 with the parameters every authenticator app supports: SHA-1, 6 digits, 30 s. */
export const TOTP_PERIOD_SECONDS = 30;

export function newTotpSecret(randomBytes: Buffer): string {
  // 160 bits, the RFC 4226 recommendation (T-MFA-01).
  return new Secret({ buffer: new Uint8Array(randomBytes.subarray(0, 20)).buffer }).base32;
}

function totpFor(secretBase32: string, label = 'Gatehouse') {
  return new TOTP({ issuer: 'Gatehouse', label, algorithm: 'SHA1', digits: 6, period: TOTP_PERIOD_SECONDS, secret: Secret.fromBase32(secretBase32) });
}

export function otpauthUri(secretBase32: string, accountLabel: string): string {
  return totpFor(secretBase32, accountLabel).toString();
}

/**
 * Returns the 30-second step the code belongs to, accepting the previous, current and next
 * step only (clock drift of ±30 s), or null. Time is the server's (T-MFA-03).
 */
export function matchingStep(secretBase32: string, code: string, now: Date): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totpFor(secretBase32).validate({ token: code, timestamp: now.getTime(), window: 1 });
  if (delta === null) return null;
  return Math.floor(now.getTime() / 1000 / TOTP_PERIOD_SECONDS) + delta;
}

/** For tests and tooling: the code an authenticator shows at `at`. */
export function totpCode(secretBase32: string, at: Date): string {
  return totpFor(secretBase32).generate({ timestamp: at.getTime() });
}
