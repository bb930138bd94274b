/** Workspace roles, most to least privileged. Ranks are explicit numbers, never array positions. */
export const ROLES = ['owner', 'super_admin', 'admin', 'user', 'login_only', 'guest'] as const;
export type Role = (typeof ROLES)[number];

/** Roles an invitation may carry: ownership only moves by transfer. */
export const INVITABLE_ROLES = ['super_admin', 'admin', 'user', 'login_only', 'guest'] as const;
export type InvitableRole = (typeof INVITABLE_ROLES)[number];

export const MEMBER_TYPES = ['member', 'guest'] as const;
export type MemberType = (typeof MEMBER_TYPES)[number];

export const MEMBER_STATUSES = ['pending', 'active', 'removed'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

export function roleRank(role: Role): number {
  switch (role) {
    case 'owner':
      return 100;
    case 'super_admin':
      return 80;
    case 'admin':
      return 60;
    case 'user':
      return 40;
    case 'login_only':
      return 20;
    case 'guest':
      return 10;
  }
}

export const isAdminRole = (role: Role) => roleRank(role) >= roleRank('admin');

/** Guests are a membership type as well as a role: a guest is always role `guest`. */
export function memberTypeForRole(role: Role): MemberType {
  return role === 'guest' ? 'guest' : 'member';
}

/** Aranet: only plain users are limited to locations; admins see everything. */
export function roleTakesLocations(role: Role): boolean {
  return role === 'user' || role === 'guest';
}
