import type { AppDeps } from '../app/deps.js';
import type { Mail, Mailer } from '../email/mailer.js';
import { claimDue, markDone, markFailed, type OutboxKind, type OutboxRow } from './outbox.js';

/**
 * What a handler decides for one outbox row: a mail to send, or nothing because the thing it
 * announced is gone (an invitation revoked or resent before the mail left).
 */
export type JobResult = { mail: Mail } | { skip: string };
export type JobHandler = (deps: AppDeps, payload: never, row: OutboxRow) => Promise<JobResult>;
export type JobHandlers = Record<OutboxKind, JobHandler>;

/** Exponential backoff: 5 s, 10 s, 20 s … capped at one hour. */
export function backoffMs(attempt: number): number {
  return Math.min(5_000 * 2 ** Math.max(0, attempt - 1), 3_600_000);
}

export interface Worker {
  /** Processes due rows until none are left; returns how many rows were handled. */
  drain(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

export function createWorker(deps: AppDeps, mailer: Mailer, handlers: JobHandlers, onDeadLetter?: (row: OutboxRow, error: string) => Promise<void>): Worker {
  const { config, clock, log } = deps;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> = Promise.resolve(0);
  let stopped = false;

  async function handle(row: OutboxRow): Promise<void> {
    try {
      const handler = handlers[row.kind as OutboxKind];
      if (!handler) throw new Error(`No handler for outbox kind ${row.kind}`);
      const result = await handler(deps, row.payload as never, row);
      if ('skip' in result) {
        await markDone(deps.db, row.id, clock.now(), 'skipped');
        return;
      }
      await mailer.send({ ...result.mail, messageId: `<${row.id}@gatehouse>`, outboxId: row.id });
      await markDone(deps.db, row.id, clock.now());
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const exhausted = row.attempts >= config.OUTBOX_MAX_ATTEMPTS;
      log.warn({ outboxId: row.id, kind: row.kind, attempt: row.attempts, err: message }, exhausted ? 'outbox job dead-lettered' : 'outbox job failed, will retry');
      await markFailed(deps.db, row.id, message.slice(0, 2000), exhausted ? null : new Date(clock.now().getTime() + backoffMs(row.attempts)));
      if (exhausted && onDeadLetter) await onDeadLetter(row, message).catch((e) => log.error({ err: e }, 'dead-letter hook failed'));
    }
  }

  async function drainOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await claimDue(deps.db, clock.now(), config.OUTBOX_LEASE_SECONDS * 1000, config.OUTBOX_BATCH_SIZE);
      if (rows.length === 0) return total;
      // Mails of one batch go out concurrently (the SMTP pool bounds real parallelism).
      await Promise.all(rows.map(handle));
      total += rows.length;
      if (stopped) return total;
    }
  }

  /**
   * Passes run one after another, and a caller always gets a pass that starts after its call:
   * joining a pass already running could miss rows the caller committed just before calling
   * (that pass may have looked already).
   */
  function drain(): Promise<number> {
    const pass = running.catch(() => 0).then(drainOnce);
    running = pass;
    return pass;
  }

  function schedule() {
    if (stopped) return;
    timer = setTimeout(async () => {
      try {
        await drain();
      } catch (err) {
        log.error({ err }, 'outbox worker loop failed');
      }
      schedule();
    }, config.OUTBOX_POLL_MS);
    timer.unref();
  }

  return {
    drain,
    start() {
      stopped = false;
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running.catch(() => 0);
    },
  };
}
