import { Alert, Badge, Center, List, Loader, Stack, Text, Title } from '@mantine/core';
import { useEffect, useRef, type ReactNode } from 'react';
import { ApiError, type Invitation, type Member, type Role } from './api/client';
import { describeProblem } from './api/problems';

export const ROLE_LABELS: Record<Role, string> = {
  owner: 'Owner',
  super_admin: 'Super admin',
  admin: 'Administrator',
  user: 'User',
  login_only: 'Login only',
  guest: 'Guest',
};

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  owner: 'Owns the workspace',
  super_admin: 'Everything an owner can do, except transferring ownership',
  admin: 'Manages members, invitations, locations and settings',
  user: 'Uses the workspace, limited to chosen locations; may invite guests',
  login_only: 'Can sign in, nothing more',
  guest: 'External person: sees only what is shared with them',
};

// White text on these backgrounds is at least 4.5:1 (several of Mantine's shade-9 colours are not).
const MEMBER_STATUS: Record<Member['status'], { label: string; color: string }> = {
  active: { label: 'Active', color: '#1e6b34' },
  pending: { label: 'Pending', color: '#8f4d00' },
  removed: { label: 'Removed', color: '#495057' },
};

const INVITATION_STATUS: Record<Invitation['status'], { label: string; color: string }> = {
  pending: { label: 'Pending', color: '#1864ab' },
  accepted: { label: 'Accepted', color: '#1e6b34' },
  declined: { label: 'Declined', color: '#a63c0c' },
  revoked: { label: 'Revoked', color: '#495057' },
  expired: { label: 'Expired', color: '#b02525' },
};

export function MemberStatusBadge({ status }: { status: Member['status'] }) {
  const s = MEMBER_STATUS[status];
  return (
    <Badge color={s.color} variant="filled">
      {s.label}
    </Badge>
  );
}

export function InvitationStatusBadge({ status }: { status: Invitation['status'] }) {
  const s = INVITATION_STATUS[status];
  return (
    <Badge color={s.color} variant="filled">
      {s.label}
    </Badge>
  );
}

export function RoleBadge({ role }: { role: Role }) {
  return (
    <Badge color="dark.6" variant="outline" styles={{ root: { color: 'var(--mantine-color-dark-7)' } }}>
      {ROLE_LABELS[role]}
    </Badge>
  );
}

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export const formatDate = (iso: string) => dateFmt.format(new Date(iso));
export const formatDateTime = (iso: string) => dateTimeFmt.format(new Date(iso));

/** An API error as a readable alert: friendly message, the server's detail, and field errors. */
export function ErrorAlert({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const p =
    error instanceof ApiError
      ? describeProblem(error.problem)
      : { title: 'Something went wrong', detail: error instanceof Error ? error.message : String(error), fields: [] as { path: string; message: string }[] };
  return (
    <Alert color="red" variant="light" title={title ?? p.title} role="alert" styles={{ title: { color: 'var(--mantine-color-red-9)' } }}>
      {title ? <Text size="sm">{p.title}</Text> : null}
      {p.detail ? <Text size="sm">{p.detail}</Text> : null}
      {p.fields.length ? (
        <List size="sm">
          {p.fields.map((f) => (
            <List.Item key={f.path + f.message}>{f.message}</List.Item>
          ))}
        </List>
      ) : null}
    </Alert>
  );
}

export function PageLoader({ label = 'Loading…' }: { label?: string }) {
  return (
    <Center py="xl" role="status" aria-live="polite">
      <Stack align="center" gap="xs">
        <Loader aria-hidden />
        <Text size="sm" c="dimmed">
          {label}
        </Text>
      </Stack>
    </Center>
  );
}

export function EmptyHint({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <Stack align="center" gap={4} py="xl" ta="center">
      <Text fw={600}>{title}</Text>
      {children ? (
        <Text size="sm" c="dark.4" maw={460}>
          {children}
        </Text>
      ) : null}
    </Stack>
  );
}

/** The page's h1; focused on mount so screen readers announce client-side navigation. */
export function PageTitle({ children, order = 1 }: { children: ReactNode; order?: 1 | 2 }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <Title order={order} ref={ref} tabIndex={-1} style={{ outline: 'none' }} mb="md">
      {children}
    </Title>
  );
}

export function isApiError(e: unknown, ...codes: string[]): e is ApiError {
  return e instanceof ApiError && (codes.length === 0 || codes.includes(e.code));
}
