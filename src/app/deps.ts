import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/client.js';
import type { Config } from './config.js';
import type { Clock, Random } from './context.js';
import type { Keys } from './keys.js';

/** Everything a use case needs from the outside world, injected once in buildApp. */
export interface AppDeps {
  db: Db;
  config: Config;
  clock: Clock;
  random: Random;
  keys: Keys;
  log: FastifyBaseLogger;
}

/** Where a request came from; recorded on every activity event. */
export interface RequestMeta {
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string;
}

/** The `ctx` of every service function: deps + who is calling + request facts. */
export interface Ctx extends AppDeps {
  userId: string | null;
  meta: RequestMeta;
}
