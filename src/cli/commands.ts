import { eq, or } from 'drizzle-orm';
import type { Config } from '../app/config.js';
import { buildApp } from '../app/build-app.js';
import { systemClock, systemRandom } from '../app/context.js';
import type { Ctx } from '../app/deps.js';
import { openRuntime } from '../app/runtime.js';
import { members, users, workspaces } from '../db/schema/index.js';
import { DomainError } from '../http/errors.js';
import { splitEmailList, normalizeEmail } from '../lib/email-address.js';
import { verifyActivityChains } from '../modules/activity/service.js';
import { inviteMembers } from '../modules/invitations/service.js';
import type { InvitableRole } from '../modules/members/roles.js';
import { and } from 'drizzle-orm';

export async function migrateOnly(config: Config): Promise<void> {
  const runtime = await openRuntime(config);
  console.log(`Migrations applied (${runtime.database.kind}).`);
  await runtime.close();
}

export async function inviteFromCli(config: Config, workspaceRef: string, rawEmails: string[], opts: { role: InvitableRole; as?: string | undefined }): Promise<void> {
  const runtime = await openRuntime(config);
  try {
    const { db } = runtime.database;
    const isUuid = /^[0-9a-f-]{36}$/i.test(workspaceRef);
    const [ws] = await db.select().from(workspaces).where(isUuid ? eq(workspaces.id, workspaceRef) : eq(workspaces.publicId, workspaceRef.toUpperCase()));
    if (!ws) throw new Error(`No workspace ${workspaceRef}`);
    const [actor] = await db
      .select({ userId: users.id })
      .from(members)
      .innerJoin(users, eq(users.id, members.userId))
      .where(and(eq(members.workspaceId, ws.id), eq(members.status, 'active'), opts.as ? eq(users.email, normalizeEmail(opts.as)) : or(eq(members.role, 'owner'))));
    if (!actor) throw new Error(opts.as ? `${opts.as} is not an active member of ${ws.name}` : `${ws.name} has no owner`);
    // Same use case as the API; the CLI is just another caller. The server's worker sends the mails.
    const { app } = await buildApp({ config: { ...config, LOG_LEVEL: 'warn' }, db, keys: runtime.keys });
    const ctx: Ctx = { db, config, clock: systemClock, random: systemRandom, keys: runtime.keys, log: app.log, userId: actor.userId, meta: { ip: null, userAgent: 'gatehouse-cli' } };
    const result = await inviteMembers(ctx, ws.id, { emails: rawEmails.flatMap(splitEmailList), role: opts.role });
    for (const c of result.created) console.log(`invited  ${c.email}  (${c.role}, expires ${c.expiresAt.toISOString()})`);
    for (const s of result.skipped) console.log(`skipped  ${s.email}  (${s.reason})`);
    console.log(`${result.created.length} invited, ${result.skipped.length} skipped. Emails are sent by the running server's outbox worker.`);
    await app.close();
  } catch (err) {
    if (err instanceof DomainError) throw new Error(`${err.code}: ${err.message}`);
    throw err;
  } finally {
    await runtime.close();
  }
}

export async function auditVerify(config: Config): Promise<void> {
  const runtime = await openRuntime(config);
  try {
    const reports = await verifyActivityChains(runtime.database.db);
    let bad = 0;
    for (const r of reports) {
      if (!r.ok) bad++;
      console.log(`${r.ok ? 'ok     ' : 'BROKEN '} ${r.chain}  ${r.events} events${r.ok ? '' : `  first bad seq ${r.firstBadSeq}: ${r.problem}`}`);
    }
    console.log(`${reports.length} chains, ${bad} broken.`);
    if (bad) process.exitCode = 1;
  } finally {
    await runtime.close();
  }
}
