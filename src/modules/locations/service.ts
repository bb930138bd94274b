import type { Ctx } from '../../app/deps.js';
import { isUniqueViolation } from '../../db/errors.js';
import { DomainError } from '../../http/errors.js';
import { recordActivity } from '../activity/record.js';
import { enforce, loadActor } from '../members/actor.js';
import { canManageLocations } from '../members/policy.js';
import * as repo from './repo.js';

/** Everyone in the workspace can read the location list (pickers need it); admins change it. */
export async function listLocations(ctx: Ctx, workspaceId: string) {
  await loadActor(ctx.db, ctx, workspaceId);
  return repo.listLocations(ctx.db, workspaceId);
}

export async function createLocation(ctx: Ctx, workspaceId: string, input: { name: string }) {
  return ctx.db.transaction(async (tx) => {
    const { actor } = await loadActor(tx, ctx, workspaceId);
    enforce(canManageLocations(actor));
    const row = await repo.insertLocation(tx, { id: ctx.random.uuid(), workspaceId, name: input.name, createdAt: ctx.clock.now() });
    if (!row) throw new DomainError('location_name_taken');
    await recordActivity(tx, ctx, [{ type: 'location.created', workspaceId, subjectType: 'location', subjectId: row.id, data: { name: row.name } }]);
    return { id: row.id, name: row.name, createdAt: row.createdAt, memberCount: 0 };
  });
}

export async function renameLocation(ctx: Ctx, workspaceId: string, id: string, input: { name: string }) {
  return ctx.db.transaction(async (tx) => {
    const { actor } = await loadActor(tx, ctx, workspaceId);
    enforce(canManageLocations(actor));
    const before = await repo.findLocation(tx, workspaceId, id);
    if (!before) throw new DomainError('not_found', 'Location not found');
    const row = await tx.transaction(async (sp) => repo.renameLocation(sp, workspaceId, id, input.name)).catch((err: unknown) => {
      if (isUniqueViolation(err)) throw new DomainError('location_name_taken');
      throw err;
    });
    await recordActivity(tx, ctx, [{ type: 'location.renamed', workspaceId, subjectType: 'location', subjectId: id, data: { from: before.name, to: input.name } }]);
    return { id: row!.id, name: row!.name, createdAt: row!.createdAt };
  });
}

export async function deleteLocation(ctx: Ctx, workspaceId: string, id: string) {
  await ctx.db.transaction(async (tx) => {
    const { actor } = await loadActor(tx, ctx, workspaceId);
    enforce(canManageLocations(actor));
    const row = await repo.deleteLocation(tx, workspaceId, id);
    if (!row) throw new DomainError('not_found', 'Location not found');
    await recordActivity(tx, ctx, [{ type: 'location.deleted', workspaceId, subjectType: 'location', subjectId: id, data: { name: row.name } }]);
  });
}
