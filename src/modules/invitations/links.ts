import { deriveToken } from '../../lib/crypto.js';

/** Purposes of the derived secrets of an invitation (ADR 0002). */
export const INVITATION_TOKEN_PURPOSE = 'invitation';
export const TEMP_PASSWORD_PURPOSE = 'temporary-password';

export function invitationUrl(appUrl: string, token: string): string {
  return new URL(`/invite/${token}`, appUrl).toString();
}

/** 20 characters from a 57-letter alphabet in groups (~116 bits), derived like the link token: nothing stored but its hash. */
export function temporaryPassword(key: Buffer, invitationId: string, nonce: string): string {
  const raw = Buffer.from(deriveToken(key, TEMP_PASSWORD_PURPOSE, invitationId, nonce), 'base64url');
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  let out = '';
  for (let i = 0; i < 20; i++) out += alphabet[raw[i]! % alphabet.length];
  return out.match(/.{5}/g)!.join('-');
}

