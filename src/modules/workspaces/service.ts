import type { Ctx } from '../../app/deps.js';
import { DomainError } from '../../http/errors.js';
import { recordActivity } from '../activity/record.js';
import { insertMember } from '../members/repo.js';
import { actorOf, enforce, loadActor, pendingRequirements, type WorkspaceRequirement } from '../members/actor.js';
import { hasAcceptedTerms } from '../members/repo.js';
import { allowed, canInvite, canListMembers, canManageWorkspace, type Actor } from '../members/policy.js';
import { INVITABLE_ROLES, isAdminRole, type Role } from '../members/roles.js';
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

export function presentWorkspace(ws: repo.WorkspaceRow, actor: Actor, pending: WorkspaceRequirement[] = []) {
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
      ? {
          inviteExpiryDays: ws.inviteExpiryDays,
          allowedEmailDomains: ws.allowedEmailDomains,
          guestInvitesAdminOnly: ws.guestInvitesAdminOnly,
          companyDomains: ws.companyDomains,
          mfaRequirement: ws.mfaRequirement as MfaRequirement,
          deviceApprovalRequired: ws.deviceApprovalRequired,
          termsVersion: ws.tosVersion,
        }
      : null,
    partner: actor.partner ?? null,
    /** Steps this member must finish before using the workspace (the API refuses until then). */
    pendingRequirements: pending,
    abilities: {
      manageSettings: admin,
      inviteMembers: admin,
      viewActivity: admin,
      manageLocations: admin,
      transferOwnership: actor.role === 'owner',
      viewMembers: allowed(canListMembers(actor)),
      /** Roles this caller may put on an invitation (the web app's role select offers exactly these). */
      invitableRoles: INVITABLE_ROLES.filter((r) => allowed(canInvite(actor, r, { guestInvitesAdminOnly: ws.guestInvitesAdminOnly }))),
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
  return Promise.all(rows.map(async (r) => presentWorkspace(r.workspace, actorOf(r.member), await pendingRequirements(ctx.db, r.workspace, r.member))));
}

/** Ungated, so a guest who still has to accept the terms or enrol MFA can learn what is pending. */
export async function getWorkspace(ctx: Ctx, workspaceId: string) {
  const { actor, workspace, member } = await loadActor(ctx.db, ctx, workspaceId, { gates: false });
  return presentWorkspace(workspace, actor, await pendingRequirements(ctx.db, workspace, member));
}

export const MFA_REQUIREMENTS = ['off', 'guests', 'everyone'] as const;
export type MfaRequirement = (typeof MFA_REQUIREMENTS)[number];

/** The workspace's terms of service and whether the caller accepted the current version. */
export async function getTerms(ctx: Ctx, workspaceId: string) {
  const { workspace } = await loadActor(ctx.db, ctx, workspaceId, { gates: false });
  const accepted = workspace.tosVersion > 0 && (await hasAcceptedTerms(ctx.db, workspaceId, ctx.userId!, workspace.tosVersion));
  return { text: workspace.tosText, version: workspace.tosVersion, accepted };
}

/** Admins publish new terms: the version goes up and every guest is asked again. Empty text turns terms off. */
export async function updateTerms(ctx: Ctx, workspaceId: string, input: { text: string }) {
  return ctx.db.transaction(async (tx) => {
    const { actor, workspace } = await loadActor(tx, ctx, workspaceId);
    enforce(canManageWorkspace(actor));
    const text = input.text.trim();
    const version = text ? workspace.tosVersion + 1 : 0;
    await repo.updateWorkspace(tx, workspaceId, { tosText: text, tosVersion: version, updatedAt: ctx.clock.now() });
    await recordActivity(tx, ctx, [{ type: 'workspace.terms_updated', workspaceId, subjectType: 'workspace', subjectId: workspaceId, data: { version } }]);
    return { text, version, accepted: false };
  });
}

/** Records who accepted which version, when and from where; the version must be the current one. */
export async function acceptTerms(ctx: Ctx, workspaceId: string, input: { version: number }) {
  return ctx.db.transaction(async (tx) => {
    const { workspace } = await loadActor(tx, ctx, workspaceId, { gates: false });
    if (workspace.tosVersion === 0) throw new DomainError('conflict', 'This workspace has no terms to accept');
    if (input.version !== workspace.tosVersion) throw new DomainError('terms_changed', 'Read the current terms and accept them again');
    const inserted = await repo.insertTermsAcceptance(tx, {
      id: ctx.random.uuid(),
      workspaceId,
      userId: ctx.userId!,
      version: workspace.tosVersion,
      acceptedAt: ctx.clock.now(),
      ip: ctx.meta.ip ?? null,
      userAgent: ctx.meta.userAgent?.slice(0, 512) ?? null,
    });
    if (inserted) await recordActivity(tx, ctx, [{ type: 'workspace.terms_accepted', workspaceId, subjectType: 'workspace', subjectId: workspaceId, data: { version: workspace.tosVersion } }]);
    return { text: workspace.tosText, version: workspace.tosVersion, accepted: true };
  });
}

export interface WorkspacePatch {
  name?: string | undefined;
  inviteExpiryDays?: number | undefined;
  allowedEmailDomains?: string[] | undefined;
  guestInvitesAdminOnly?: boolean | undefined;
  companyDomains?: string[] | undefined;
  mfaRequirement?: MfaRequirement | undefined;
  deviceApprovalRequired?: boolean | undefined;
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
