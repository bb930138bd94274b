import { z } from 'zod';

/**
 * The only place that reads `process.env`. Everything else receives a parsed `Config`.
 * Defaults are chosen so that `npm start` on a laptop just works, and so that a team's
 * onboarding day (hundreds of people signing in from one office IP) never hits a limit.
 */
const boolFromEnv = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const intFromEnv = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('0.0.0.0'),
  PORT: intFromEnv(0, 65535).default(3000),
  /** Public base URL: every link in an email is built from it, never from the request's Host. */
  APP_URL: z.url().default('http://localhost:3000'),
  /** Extra origins allowed to send cookie-authenticated unsafe requests (e.g. the Vite dev server). */
  ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((o) => o.trim()).filter(Boolean)),
  DATABASE_URL: z.string().optional(),
  DATABASE_POOL_SIZE: intFromEnv(1, 500).default(10),
  GATEHOUSE_DATA_DIR: z.string().default('./data'),
  /** 32 bytes, base64 or hex. Generated into the data dir on first start when unset. */
  GATEHOUSE_SECRET_KEY: z.string().optional(),
  SMTP_URL: z.string().optional(),
  SMTP_FROM: z.string().default('Gatehouse <no-reply@gatehouse.localhost>'),
  /** The dev mailbox stores mails in the database when SMTP_URL is unset; never in production. */
  DEV_MAILBOX: boolFromEnv.optional(),
  REDIS_URL: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: boolFromEnv.default(false),
  SERVE_WEB: boolFromEnv.default(true),
  RUN_WORKER: boolFromEnv.default(true),

  SESSION_IDLE_HOURS: intFromEnv(1, 24 * 90).default(72),
  SESSION_ABSOLUTE_DAYS: intFromEnv(1, 365).default(30),
  EMAIL_VERIFICATION_HOURS: intFromEnv(1, 24 * 30).default(48),

  RATE_LIMIT_SIGN_IN_PER_IP: intFromEnv(1, 1_000_000).default(300),
  RATE_LIMIT_SIGN_IN_PER_ACCOUNT: intFromEnv(1, 1_000_000).default(10),
  RATE_LIMIT_SIGN_UP_PER_IP: intFromEnv(1, 1_000_000).default(100),
  RATE_LIMIT_TOKEN_LOOKUPS_PER_IP: intFromEnv(1, 1_000_000).default(120),
  /** Window of the IP limits above, in seconds (per-account sign-in uses 15 minutes). */
  RATE_LIMIT_WINDOW_SECONDS: intFromEnv(1, 86_400).default(60),
  INVITES_PER_INVITER_PER_HOUR: intFromEnv(1, 10_000_000).default(20_000),
  INVITES_PER_WORKSPACE_PER_HOUR: intFromEnv(1, 10_000_000).default(50_000),
  INVITE_RESEND_COOLDOWN_SECONDS: intFromEnv(0, 86_400).default(60),
  INVITE_MAX_RESENDS: intFromEnv(1, 1000).default(20),
  BULK_INVITE_MAX: intFromEnv(1, 100_000).default(10_000),

  OUTBOX_MAX_ATTEMPTS: intFromEnv(1, 100).default(8),
  OUTBOX_BATCH_SIZE: intFromEnv(1, 1000).default(25),
  OUTBOX_POLL_MS: intFromEnv(10, 60_000).default(500),
  OUTBOX_LEASE_SECONDS: intFromEnv(5, 3600).default(60),
});

export type Config = z.infer<typeof configSchema> & { devMailbox: boolean };

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  const devMailbox = c.NODE_ENV === 'production' ? false : (c.DEV_MAILBOX ?? !c.SMTP_URL);
  return { ...c, devMailbox };
}

/** A config for tests and tools: defaults plus overrides, no process.env. */
export function testConfig(overrides: Record<string, string | undefined> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', RUN_WORKER: 'false', SERVE_WEB: 'false', ...overrides });
}
