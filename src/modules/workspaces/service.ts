import type { Ctx } from '../../app/deps.js';
import { DomainError } from '../../http/errors.js';
import { recordActivity } from '../activity/record.js';
import { insertMember } from '../members/repo.js';
import { enforce, loadActor } from '../members/actor.js';
import { canManageWorkspace, type Actor } from '../members/policy.js';
import { isAdminRole, type Role } from '../members/roles.js';
import * as repo from './repo.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** `GH-XXXX-XXXX`: 40 random bits in Crockford base32, easy to read out over the phone. */
export function newPublicId(bytes: Buffer): string {
  let bits = 0n;
  for (const b of bytes.subarray(0, 5)) bits = (bits << 8n) | BigInt(b);
  let out = '';
  for (let i = 0; i < 8; i++) out = CROCKFORD[Number((bits >> BigInt(i * 5)) & 31n)] + out;
  return `GH-${out.slice(0, 4)}-${out.slice(4)}`;
}

export function presentWorkspace(ws: repo.WorkspaceRow, actor: Actor) {
  const admin = isAdminRole(actor.role);
  return {
    id: ws.id,
    name: ws.name,
    // The Workspace ID and settings are admin information (Cerby shows them to admins).
    publicId: admin ? ws.publicId : null,
    role: actor.role,
    memberId: actor.memberId,
    createdAt: ws.createdAt,
    settings: admin
      ? { inviteExpiryDays: ws.inviteExpiryDays, allowedEmailDomains: ws.allowedEmailDomains, guestInvitesAdminOnly: ws.guestInvitesAdminOnly }
      : null,
    abilities: {
      manageSettings: admin,
      inviteMembers: admin,
      viewActivity: admin,
      manageLocations: admin,
      transferOwnership: actor.role === 'owner',
    },
  };
}

export async function createWorkspace(ctx: Ctx, input: { name: string }) {
  if (!ctx.userId) throw new DomainError('unauthenticated');
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    let ws: repo.WorkspaceRow | undefined;
    for (let attempt = 0; !ws && attempt < 5; attempt++) {
      ws = await repo.insertWorkspace(tx, { id: ctx.random.uuid(), publicId: newPublicId(ctx.random.bytes(5)), name: input.name, createdByUserId: ctx.userId, createdAt: now, updatedAt: now });
    }
    if (!ws) throw new DomainError('service_unavailable', 'Could not allocate a Workspace ID');
    const owner = (await insertMember(tx, { id: ctx.random.uuid(), workspaceId: ws.id, userId: ctx.userId!, role: 'owner', type: 'member', status: 'active', createdAt: now, updatedAt: now }))!;
    await recordActivity(tx, ctx, [{ type: 'workspace.created', workspaceId: ws.id, subjectType: 'workspace', subjectId: ws.id, data: { name: ws.name } }]);
    return presentWorkspace(ws, { userId: ctx.userId!, memberId: owner.id, role: 'owner' });
  });
}

export async function listMyWorkspaces(ctx: Ctx) {
  const rows = await repo.listWorkspacesOfUser(ctx.db, ctx.userId!);
  return rows.map((r) => presentWorkspace(r.workspace, { userId: ctx.userId!, memberId: r.memberId, role: r.role as Role }));
}

export async function getWorkspace(ctx: Ctx, workspaceId: string) {
  const { actor, workspace } = await loadActor(ctx.db, ctx, workspaceId);
  return presentWorkspace(workspace, actor);
}

export interface WorkspacePatch {
  name?: string | undefined;
  inviteExpiryDays?: number | undefined;
  allowedEmailDomains?: string[] | undefined;
  guestInvitesAdminOnly?: boolean | undefined;
}

export async function updateWorkspace(ctx: Ctx, workspaceId: string, patch: WorkspacePatch) {
  return ctx.db.transaction(async (tx) => {
    const { actor, workspace } = await loadActor(tx, ctx, workspaceId);
    enforce(canManageWorkspace(actor));
    const changes = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    if (Object.keys(changes).length === 0) return presentWorkspace(workspace, actor);
    const updated = (await repo.updateWorkspace(tx, workspaceId, { ...changes, updatedAt: ctx.clock.now() }))!;
    const changed = Object.keys(changes).filter((k) => JSON.stringify(changes[k]) !== JSON.stringify(workspace[k as keyof repo.WorkspaceRow]));
    await recordActivity(tx, ctx, [{ type: 'workspace.updated', workspaceId, subjectType: 'workspace', subjectId: workspaceId, data: { changed, ...changes } }]);
    return presentWorkspace(updated, actor);
  });
}
