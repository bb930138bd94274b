import { describe, expect, it } from 'vitest';
import { DomainError } from '../../http/errors.js';
import {
  allowed,
  canChangeRole,
  canGrantRole,
  canInvite,
  canListInvitations,
  canListMembers,
  canManageInvitation,
  canManageLocations,
  canManageWorkspace,
  canRemoveMember,
  canTransferOwnership,
  canViewActivity,
  memberAbilities,
  type Actor,
  type Denial,
  type TargetMember,
} from './policy.js';
import { INVITABLE_ROLES, ROLES, type InvitableRole, type Role } from './roles.js';

/**
 * The role ceiling as literal tables, written from SPEC.md ("Who invites", "Role ceiling") and
 * security-tests.md §0.4, not from the implementation. Each cell is the expected outcome:
 * `ok` = allowed, otherwise the denial code. Rows are the actor's role.
 */
type Outcome = 'ok' | 'forbidden' | 'role_ceiling' | 'last_owner' | 'conflict';
const ok = 'ok' as const;
const F = 'forbidden' as const;
const C = 'role_ceiling' as const;
const L = 'last_owner' as const;

/**
 * "nobody can grant a role above their own; only the owner makes super admins; nobody grants
 * `owner` (ownership is transferred)". Columns follow ROLES: owner, super_admin, admin, user, login_only, guest.
 */
const GRANT: Record<Role, Outcome[]> = {
  owner: [C, ok, ok, ok, ok, ok],
  super_admin: [C, C, ok, ok, ok, ok],
  admin: [C, C, ok, ok, ok, ok],
  user: [C, C, C, ok, ok, ok],
  login_only: [C, C, C, C, ok, ok],
  guest: [C, C, C, C, C, ok],
};

/**
 * "admins and above invite members (any role up to their own; only the owner makes super
 * admins); members with role `user` and above may invite guests; `login_only` and guests invite
 * nobody." Columns follow INVITABLE_ROLES: super_admin, admin, user, login_only, guest.
 */
const INVITE: Record<Role, Outcome[]> = {
  owner: [ok, ok, ok, ok, ok],
  super_admin: [C, ok, ok, ok, ok],
  admin: [C, ok, ok, ok, ok],
  user: [F, F, F, F, ok],
  login_only: [F, F, F, F, F],
  guest: [F, F, F, F, F],
};
/** The same with the workspace setting "only admins invite guests". */
const INVITE_GUEST_ADMIN_ONLY: Record<Role, Outcome> = { owner: ok, super_admin: ok, admin: ok, user: F, login_only: F, guest: F };

/**
 * May the actor act on (change the role of, remove) ANOTHER member with the target role?
 * "admins cannot change, demote or remove the owner or super admins; the owner can never be
 * demoted or removed (`last_owner`); non-admins manage nobody."
 * Columns follow ROLES (target): owner, super_admin, admin, user, login_only, guest.
 *
 * Peers: an admin may change or remove another admin (§0.4; Aranet: administrators are "equal to
 * the Owner except over the Owner"). Super admins are made and unmade by the owner only, so a
 * super admin cannot act on another super admin, and admins never on super admins.
 */
const ACT_ON_OTHER: Record<Role, Outcome[]> = {
  owner: [C, ok, ok, ok, ok, ok], // (there is only one owner: "another owner" cannot exist, and is refused anyway)
  super_admin: [C, C, ok, ok, ok, ok],
  admin: [C, C, ok, ok, ok, ok],
  user: [F, F, F, F, F, F],
  login_only: [F, F, F, F, F, F],
  guest: [F, F, F, F, F, F],
};

const grant = (actor: Role, role: Role): Outcome => GRANT[actor][ROLES.indexOf(role)]!;
const actOnOther = (actor: Role, target: Role): Outcome => ACT_ON_OTHER[actor][ROLES.indexOf(target)]!;
/** Self-demotion is allowed, self-promotion never; the owner cannot step down (transfer instead). */
const selfChange = (own: Role, to: Role): Outcome => (own === 'owner' ? L : ROLES.indexOf(to) >= ROLES.indexOf(own) ? ok : C);

function expectedChangeRole(actor: Role, target: Role, self: boolean, to: Role): Outcome {
  if (self) return selfChange(actor, to);
  const onTarget = actOnOther(actor, target);
  return onTarget === ok ? grant(actor, to) : onTarget;
}
function expectedRemove(actor: Role, target: Role, self: boolean): Outcome {
  if (self) return target === 'owner' ? L : ok; // leaving; the owner must transfer first
  return actOnOther(actor, target);
}

const actorOf = (role: Role, n = 1): Actor => ({ userId: `user-${role}-${n}`, memberId: `member-${role}-${n}`, role });
const targetOf = (role: Role, n = 2, status: TargetMember['status'] = 'active'): TargetMember => ({ userId: `user-${role}-${n}`, memberId: `member-${role}-${n}`, role, status });
const selfTarget = (a: Actor, status: TargetMember['status'] = 'active'): TargetMember => ({ userId: a.userId, memberId: a.memberId, role: a.role, status });

function outcome(d: Denial): Outcome {
  if (d === null) return ok;
  expect(d).toBeInstanceOf(DomainError);
  return d.code as Outcome;
}

describe('role ceiling tables are complete (guards the tables themselves)', () => {
  it('every table has a row per role and a column per role', () => {
    for (const r of ROLES) {
      expect(GRANT[r]).toHaveLength(ROLES.length);
      expect(INVITE[r]).toHaveLength(INVITABLE_ROLES.length);
      expect(ACT_ON_OTHER[r]).toHaveLength(ROLES.length);
    }
    // Sanity: nobody may grant owner; only the owner grants super_admin.
    expect(ROLES.filter((r) => grant(r, 'owner') === ok)).toEqual([]);
    expect(ROLES.filter((r) => grant(r, 'super_admin') === ok)).toEqual(['owner']);
  });
});


describe('canGrantRole: the role ceiling (§0.4)', () => {
  for (const actor of ROLES) {
    for (const role of ROLES) {
      it(`${actor} grants ${role} → ${grant(actor, role)}`, () => {
        expect(outcome(canGrantRole(actorOf(actor), role))).toBe(grant(actor, role));
      });
    }
  }
});

describe('canInvite: who invites (SPEC "Who invites", T-ROLE-01)', () => {
  for (const actor of ROLES) {
    for (const [i, role] of INVITABLE_ROLES.entries()) {
      const want = INVITE[actor][i]!;
      it(`${actor} invites ${role} → ${want}`, () => {
        expect(outcome(canInvite(actorOf(actor), role, { guestInvitesAdminOnly: false }))).toBe(want);
      });
      const wantStrict = role === 'guest' ? INVITE_GUEST_ADMIN_ONLY[actor] : want;
      it(`${actor} invites ${role} with guestInvitesAdminOnly → ${wantStrict}`, () => {
        expect(outcome(canInvite(actorOf(actor), role, { guestInvitesAdminOnly: true }))).toBe(wantStrict);
      });
    }
    it(`T-ROLE-01: ${actor} can never invite with role owner`, () => {
      const d = canInvite(actorOf(actor), 'owner' as InvitableRole, { guestInvitesAdminOnly: false });
      expect(d).not.toBeNull();
      // Admins hit the ceiling; non-admins are not inviters of members at all.
      expect(d!.code).toBe(['owner', 'super_admin', 'admin'].includes(actor) ? 'role_ceiling' : 'forbidden');
    });
  }
});

describe('canChangeRole: every actor × target × new role (T-ROLE-01, T-ROLE-03, T-ROLE-07)', () => {
  for (const actor of ROLES) {
    for (const target of ROLES) {
      for (const to of ROLES) {
        const want = expectedChangeRole(actor, target, false, to);
        it(`${actor} changes another ${target} to ${to} → ${want}`, () => {
          expect(outcome(canChangeRole(actorOf(actor, 1), targetOf(target, 2), to))).toBe(want);
        });
      }
    }
  }
  for (const actor of ROLES) {
    for (const to of ROLES) {
      const want = expectedChangeRole(actor, actor, true, to);
      it(`self: ${actor} changes own role to ${to} → ${want}`, () => {
        const a = actorOf(actor);
        expect(outcome(canChangeRole(a, selfTarget(a), to))).toBe(want);
      });
    }
  }
  it('a removed member cannot be re-roled (re-invite instead) → conflict, whoever asks', () => {
    for (const actor of ROLES) for (const to of ROLES) expect(outcome(canChangeRole(actorOf(actor), targetOf('user', 2, 'removed'), to))).toBe('conflict');
  });
  it('T-ROLE-03 spot checks (literal)', () => {
    const admin = actorOf('admin');
    expect(outcome(canChangeRole(admin, selfTarget(admin), 'owner'))).toBe('role_ceiling');
    expect(outcome(canChangeRole(admin, selfTarget(admin), 'super_admin'))).toBe('role_ceiling');
    expect(outcome(canChangeRole(admin, targetOf('owner'), 'user'))).toBe('role_ceiling');
    expect(outcome(canChangeRole(admin, targetOf('super_admin'), 'user'))).toBe('role_ceiling');
    expect(outcome(canChangeRole(admin, targetOf('user'), 'owner'))).toBe('role_ceiling');
    expect(outcome(canChangeRole(admin, targetOf('user'), 'super_admin'))).toBe('role_ceiling');
    // positive controls
    expect(outcome(canChangeRole(admin, targetOf('user'), 'admin'))).toBe('ok');
    expect(outcome(canChangeRole(admin, selfTarget(admin), 'user'))).toBe('ok');
    expect(outcome(canChangeRole(actorOf('owner'), targetOf('user'), 'super_admin'))).toBe('ok');
    expect(outcome(canChangeRole(actorOf('owner'), targetOf('super_admin'), 'guest'))).toBe('ok');
  });
});

describe('canRemoveMember: every actor × target, and leaving (T-ROLE-07)', () => {
  for (const actor of ROLES) {
    for (const target of ROLES) {
      const want = expectedRemove(actor, target, false);
      it(`${actor} removes another ${target} → ${want}`, () => {
        expect(outcome(canRemoveMember(actorOf(actor, 1), targetOf(target, 2)))).toBe(want);
      });
    }
    const wantSelf = expectedRemove(actor, actor, true);
    it(`self: ${actor} leaves → ${wantSelf}`, () => {
      const a = actorOf(actor);
      expect(outcome(canRemoveMember(a, selfTarget(a)))).toBe(wantSelf);
    });
  }
});

describe('canTransferOwnership: only the owner', () => {
  for (const actor of ROLES) {
    const want = actor === 'owner' ? ok : F;
    it(`${actor} → ${want}`, () => expect(outcome(canTransferOwnership(actorOf(actor)))).toBe(want));
  }
});

describe('workspace-level permissions', () => {
  const admins: Role[] = ['owner', 'super_admin', 'admin'];
  const usersUp: Role[] = ['owner', 'super_admin', 'admin', 'user'];
  for (const actor of ROLES) {
    it(`${actor}: settings/activity/locations ${admins.includes(actor) ? 'ok' : 'forbidden'}, member & invitation lists ${usersUp.includes(actor) ? 'ok' : 'forbidden'}`, () => {
      const a = actorOf(actor);
      const adminWant = admins.includes(actor) ? ok : F;
      const listWant = usersUp.includes(actor) ? ok : F;
      expect(outcome(canManageWorkspace(a))).toBe(adminWant);
      expect(outcome(canViewActivity(a))).toBe(adminWant);
      expect(outcome(canManageLocations(a))).toBe(adminWant);
      expect(outcome(canListMembers(a))).toBe(listWant);
      expect(outcome(canListInvitations(a))).toBe(listWant);
    });
  }
});

describe('canManageInvitation (resend / revoke)', () => {
  for (const actor of ROLES) {
    for (const role of INVITABLE_ROLES) {
      for (const own of [true, false]) {
        for (const guestInvitesAdminOnly of [false, true]) {
          // Admins manage every invitation up to their ceiling; others only guest invitations
          // they sent themselves, and only while they may still invite guests.
          const isAdmin = ['owner', 'super_admin', 'admin'].includes(actor);
          const want: Outcome = isAdmin
            ? grant(actor, role)
            : role === 'guest' && own
              ? guestInvitesAdminOnly
                ? INVITE_GUEST_ADMIN_ONLY[actor]
                : INVITE[actor][INVITABLE_ROLES.indexOf('guest')]!
              : F;
          it(`${actor} manages ${own ? 'own' : "someone else's"} ${role} invitation${guestInvitesAdminOnly ? ' (guestInvitesAdminOnly)' : ''} → ${want}`, () => {
            const a = actorOf(actor);
            const d = canManageInvitation(a, { role, inviterUserId: own ? a.userId : 'someone-else' }, { guestInvitesAdminOnly });
            expect(outcome(d)).toBe(want);
          });
        }
      }
    }
  }
});

describe('memberAbilities agrees with the policy functions for every pair', () => {
  const statuses: TargetMember['status'][] = ['active', 'pending', 'removed'];
  for (const actor of ROLES) {
    for (const target of ROLES) {
      for (const self of [false, true]) {
        if (self && target !== actor) continue;
        for (const status of statuses) {
          it(`${actor} looking at ${self ? 'self' : `another ${target}`} (${status})`, () => {
            const a = actorOf(actor, 1);
            const tm: TargetMember = self ? selfTarget(a, status) : targetOf(target, 2, status);
            const ab = memberAbilities(a, tm);
            const assignable = status === 'removed' || target === 'owner' ? [] : INVITABLE_ROLES.filter((r) => allowed(canChangeRole(a, tm, r)));
            expect(ab.assignableRoles).toEqual(assignable);
            // The spec-derived table says the same about each role offered.
            if (status !== 'removed') {
              expect(ab.assignableRoles).toEqual(INVITABLE_ROLES.filter((r) => expectedChangeRole(actor, target, self, r) === ok));
            }
            expect(ab.changeRole).toBe(assignable.length > 0);
            expect(ab.remove).toBe(status !== 'removed' && allowed(canRemoveMember(a, tm)));
            if (status !== 'removed') expect(ab.remove).toBe(expectedRemove(actor, target, self) === ok);
            expect(ab.transferOwnership).toBe(allowed(canTransferOwnership(a)) && !self && status === 'active' && target !== 'guest');
          });
        }
      }
    }
  }
});
