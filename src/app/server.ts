import type { Config } from './config.js';
import { buildApp } from './build-app.js';
import { openRuntime } from './runtime.js';

/** `gatehouse serve`: migrate, listen, run the outbox worker, drain on SIGTERM/SIGINT. */
export async function serve(config: Config): Promise<void> {
  const runtime = await openRuntime(config, { serve: true });
  const { app, worker, mailer } = await buildApp({ config, db: runtime.database.db, keys: runtime.keys });
  await app.listen({ host: config.HOST, port: config.PORT });
  if (config.RUN_WORKER) worker.start();
  app.log.info(
    { url: config.APP_URL, database: runtime.database.kind, mail: mailer.kind, devMailbox: config.devMailbox },
    `Gatehouse is ready at ${config.APP_URL}${config.devMailbox ? ` (dev mailbox: ${new URL('/api/dev/mailbox', config.APP_URL)})` : ''}`,
  );
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: draining requests and the outbox worker');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    await app.close();
    await runtime.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
