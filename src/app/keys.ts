import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hkdfSync, randomBytes } from 'node:crypto';
import path from 'node:path';

export interface Keys {
  /** HMAC key for derived email tokens (invitation and verification links). */
  tokens: Buffer;
  /** AES-256-GCM key for secrets at rest. */
  secrets: Buffer;
}

function parseMasterKey(text: string): Buffer {
  const trimmed = text.trim();
  const buf = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (buf.length !== 32) throw new Error('GATEHOUSE_SECRET_KEY must be 32 bytes, as 64 hex characters or base64');
  return buf;
}

export function deriveKeys(master: Buffer): Keys {
  const sub = (info: string) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `gatehouse:${info}`, 32));
  return { tokens: sub('tokens'), secrets: sub('secrets') };
}

/**
 * The master key comes from GATEHOUSE_SECRET_KEY or, on first start, is generated into the
 * data dir (mode 0600). Several instances must share one key: set the variable for them.
 */
export function loadKeys(opts: { secretKey?: string | undefined; dataDir: string }): Keys {
  if (opts.secretKey) return deriveKeys(parseMasterKey(opts.secretKey));
  const file = path.join(opts.dataDir, 'secret.key');
  if (!existsSync(file)) {
    mkdirSync(opts.dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  }
  return deriveKeys(parseMasterKey(readFileSync(file, 'utf8')));
}
