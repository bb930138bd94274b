import { ActionIcon, Button, Group, Menu, MultiSelect, Select, Stack, Table, Tabs, Text, TextInput, VisuallyHidden } from '@mantine/core';
import { Dialog } from '../components/dialog';
import { useDebouncedValue, useDisclosure, useInterval } from '@mantine/hooks';
import { useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { useApiInfiniteQuery, useApiMutation, useApiQuery, type GetPath, type Invitation, type InvitableRole, type Member, type Workspace } from '../api/client';
import { ConfirmDialog } from '../components/confirm';
import { InviteForm, InviteSummary, type InviteResult } from '../components/invite-form';
import { useSignOut } from '../session';
import { EmptyHint, ErrorAlert, formatDate, formatDateTime, InvitationStatusBadge, MemberStatusBadge, PageLoader, PageTitle, ROLE_LABELS, RoleBadge } from '../ui';
import { useWorkspace } from './home';

const TABS = [
  { value: 'all', label: 'All' },
  { value: 'members', label: 'Members' },
  { value: 'guests', label: 'Guests' },
  { value: 'invitations', label: 'Invitations' },
] as const;
type Tab = (typeof TABS)[number]['value'];

export const PARTNER_ROLE_LABELS = { guest_admin: 'Guest Admin', guest_user: 'Guest User' } as const;

const MEMBER_PATHS: readonly GetPath[] = ['/api/workspaces/{workspaceId}/members', '/api/me', '/api/workspaces', '/api/workspaces/{workspaceId}/activity'];
const INVITATION_PATHS: readonly GetPath[] = ['/api/workspaces/{workspaceId}/invitations', '/api/workspaces/{workspaceId}/activity'];

export function MembersPage() {
  const ws = useWorkspace();
  const [params, setParams] = useSearchParams();
  const tab = (TABS.some((t) => t.value === params.get('tab')) ? params.get('tab') : 'all') as Tab;
  const [inviteOpen, invite] = useDisclosure(false);
  const canInvite = ws.abilities.invitableRoles.length > 0;

  if (!ws.abilities.viewMembers) {
    return (
      <Stack>
        <PageTitle>{ws.name}</PageTitle>
        <Text>Your role ({ROLE_LABELS[ws.role]}) does not show the member list of this workspace.</Text>
      </Stack>
    );
  }

  return (
    <Stack>
      <Group justify="space-between" align="flex-start">
        <PageTitle>Members</PageTitle>
        {canInvite ? <Button onClick={invite.open}>Invite people</Button> : null}
      </Group>
      <Tabs value={tab} onChange={(v) => setParams(v && v !== 'all' ? { tab: v } : {}, { replace: true })} keepMounted={false}>
        <Tabs.List aria-label="Member lists">
          {TABS.map((t) => (
            <Tabs.Tab key={t.value} value={t.value}>
              {t.label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        <Tabs.Panel value="all" pt="md">
          <MembersTable workspace={ws} />
        </Tabs.Panel>
        <Tabs.Panel value="members" pt="md">
          <MembersTable workspace={ws} type="member" />
        </Tabs.Panel>
        <Tabs.Panel value="guests" pt="md">
          <MembersTable workspace={ws} type="guest" />
        </Tabs.Panel>
        <Tabs.Panel value="invitations" pt="md">
          <InvitationsTable workspace={ws} onInvite={canInvite ? invite.open : undefined} />
        </Tabs.Panel>
      </Tabs>
      {canInvite ? <InviteDialog workspace={ws} opened={inviteOpen} onClose={invite.close} /> : null}
    </Stack>
  );
}

export function InviteDialog({ workspace, opened, onClose }: { workspace: Workspace; opened: boolean; onClose: () => void }) {
  const [result, setResult] = useState<InviteResult | null>(null);
  const [formKey, setFormKey] = useState(0);
  const close = () => {
    onClose();
    setResult(null);
    setFormKey((k) => k + 1);
  };
  return (
    <Dialog opened={opened} onClose={close} title={`Invite people to ${workspace.name}`} size="lg">
      {result ? (
        <Stack>
          <InviteSummary result={result} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setResult(null)}>
              Invite more
            </Button>
            <Button onClick={close} data-autofocus>
              Done
            </Button>
          </Group>
        </Stack>
      ) : (
        <InviteForm key={formKey} workspace={workspace} onResult={setResult} />
      )}
    </Dialog>
  );
}

function useLocationNames(workspaceId: string) {
  const q = useApiQuery('/api/workspaces/{workspaceId}/locations', { path: { workspaceId } });
  return useMemo(() => new Map((q.data?.items ?? []).map((l) => [l.id, l.name])), [q.data]);
}

const MEMBER_STATUS_FILTERS = [
  { value: 'active,pending', label: 'Current (active and pending)' },
  { value: 'active', label: 'Active' },
  { value: 'pending', label: 'Pending' },
  { value: 'removed', label: 'Removed' },
  { value: '', label: 'Any status' },
];

function MembersTable({ workspace, type }: { workspace: Workspace; type?: 'member' | 'guest' }) {
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 300);
  const [status, setStatus] = useState('active,pending');
  const [role, setRole] = useState('');
  const query = { limit: 25, ...(q ? { q } : {}), ...(status ? { status } : {}), ...(role ? { role } : {}), ...(type ? { type } : {}) };
  const list = useApiInfiniteQuery('/api/workspaces/{workspaceId}/members', { path: { workspaceId: workspace.id }, query });
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const noun = type === 'guest' ? 'guests' : type === 'member' ? 'members' : 'people';

  return (
    <Stack>
      <Group align="flex-end" wrap="wrap">
        <TextInput label="Search" placeholder="Name or email" value={search} onChange={(e) => setSearch(e.currentTarget.value)} w={260} type="search" />
        <Select label="Status" data={MEMBER_STATUS_FILTERS} value={status} onChange={(v) => setStatus(v ?? '')} allowDeselect={false} w={240} />
        {type !== 'guest' ? (
          <Select
            label="Role"
            data={[{ value: '', label: 'Any role' }, ...(['owner', 'super_admin', 'admin', 'user', 'login_only', 'guest'] as const).filter((r) => type !== 'member' || r !== 'guest').map((r) => ({ value: r, label: ROLE_LABELS[r] }))]}
            value={role}
            onChange={(v) => setRole(v ?? '')}
            allowDeselect={false}
            w={180}
          />
        ) : null}
      </Group>
      <ErrorAlert error={list.error} />
      {list.isPending ? (
        <PageLoader label={`Loading ${noun}…`} />
      ) : rows.length === 0 ? (
        <EmptyHint title={q || status !== 'active,pending' || role ? `No ${noun} match these filters` : `No ${noun} yet`}>
          {q || role ? 'Try another search or clear the filters.' : type === 'guest' ? 'Invite someone with the Guest role to give an outsider limited access.' : 'Use “Invite people” to send invitations by email.'}
        </EmptyHint>
      ) : (
        <Table.ScrollContainer minWidth={720}>
          <Table highlightOnHover verticalSpacing="sm" aria-label={`Workspace ${noun}`}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Role</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Locations</Table.Th>
                <Table.Th>Joined</Table.Th>
                <Table.Th>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((m) => (
                <MemberRow key={m.id} member={m} workspace={workspace} />
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {list.hasNextPage ? (
        <Button variant="default" onClick={() => list.fetchNextPage()} loading={list.isFetchingNextPage} w="fit-content">
          Load more
        </Button>
      ) : null}
    </Stack>
  );
}

function MemberRow({ member: m, workspace }: { member: Member; workspace: Workspace }) {
  const [dialog, setDialog] = useState<null | 'role' | 'remove' | 'transfer'>(null);
  const self = m.id === workspace.memberId;
  const signOut = useSignOut();
  const remove = useApiMutation('delete', '/api/workspaces/{workspaceId}/members/{memberId}', { invalidates: MEMBER_PATHS });
  const transfer = useApiMutation('post', '/api/workspaces/{workspaceId}/transfer-ownership', { invalidates: MEMBER_PATHS });
  const a = m.abilities;
  const canChangeRole = a.changeRole && a.assignableRoles.length > 0;
  const hasActions = canChangeRole || a.remove || a.transferOwnership;
  const path = { workspaceId: workspace.id, memberId: m.id };

  return (
    <Table.Tr data-testid={`member-row-${m.email}`}>
      <Table.Td>
        <Text fw={600} size="sm">
          {m.name}
          {self ? ' (you)' : ''}
        </Text>
        <Text size="xs" c="dark.4">
          {m.email}
        </Text>
      </Table.Td>
      <Table.Td>
        <RoleBadge role={m.role} />
        {m.partner ? (
          <Text size="xs" c="dark.4" mt={4} data-testid="member-partner">
            {m.partner.name} · {PARTNER_ROLE_LABELS[m.partner.role]}
          </Text>
        ) : null}
      </Table.Td>
      <Table.Td>
        <MemberStatusBadge status={m.status} />
      </Table.Td>
      <Table.Td>
        <Text size="sm">{m.locations.length ? m.locations.map((l) => l.name).join(', ') : m.role === 'user' || m.role === 'guest' ? 'None' : 'All'}</Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{m.status === 'removed' && m.removedAt ? `Removed ${formatDate(m.removedAt)}` : formatDate(m.joinedAt)}</Text>
      </Table.Td>
      <Table.Td>
        {hasActions ? (
          <Menu position="bottom-end" withinPortal>
            <Menu.Target>
              <ActionIcon variant="subtle" color="dark" aria-label={`Actions for ${m.name}`}>
                <span aria-hidden>⋯</span>
              </ActionIcon>
            </Menu.Target>
            <Menu.Dropdown>
              {canChangeRole ? <Menu.Item onClick={() => setDialog('role')}>{self ? 'Change my role' : 'Change role'}</Menu.Item> : null}
              {a.transferOwnership ? <Menu.Item onClick={() => setDialog('transfer')}>Transfer ownership</Menu.Item> : null}
              {a.remove ? (
                <Menu.Item color="#b02525" onClick={() => setDialog('remove')}>
                  {self ? 'Leave workspace' : 'Remove from workspace'}
                </Menu.Item>
              ) : null}
            </Menu.Dropdown>
          </Menu>
        ) : null}
        {canChangeRole ? <ChangeRoleDialog opened={dialog === 'role'} onClose={() => setDialog(null)} member={m} workspace={workspace} /> : null}
        <ConfirmDialog
          opened={dialog === 'remove'}
          onClose={() => setDialog(null)}
          title={self ? 'Leave this workspace?' : `Remove ${m.name}?`}
          confirmLabel={self ? 'Leave workspace' : 'Remove'}
          onConfirm={async () => {
            await remove.mutateAsync({ params: { path } });
            if (self) await signOut('/');
          }}
        >
          {self
            ? `You lose access to ${workspace.name} at once. Someone has to invite you again to come back.`
            : `${m.name} (${m.email}) loses access to ${workspace.name} at once. They stay listed as Removed and can be invited again.`}
        </ConfirmDialog>
        <ConfirmDialog
          opened={dialog === 'transfer'}
          onClose={() => setDialog(null)}
          title={`Make ${m.name} the owner?`}
          confirmLabel="Transfer ownership"
          onConfirm={() => transfer.mutateAsync({ params: { path: { workspaceId: workspace.id } }, body: { memberId: m.id } })}
        >
          {`${m.name} becomes the owner of ${workspace.name}. You become an administrator, and only the new owner can give ownership back.`}
        </ConfirmDialog>
      </Table.Td>
    </Table.Tr>
  );
}

function ChangeRoleDialog({ opened, onClose, member, workspace }: { opened: boolean; onClose: () => void; member: Member; workspace: Workspace }) {
  const roles = member.abilities.assignableRoles;
  const [role, setRole] = useState<InvitableRole>(roles.includes(member.role as InvitableRole) ? (member.role as InvitableRole) : roles[0]!);
  const [locationIds, setLocationIds] = useState(member.locations.map((l) => l.id));
  const locations = useApiQuery('/api/workspaces/{workspaceId}/locations', { path: { workspaceId: workspace.id } }, { enabled: opened });
  const update = useApiMutation('patch', '/api/workspaces/{workspaceId}/members/{memberId}', { invalidates: MEMBER_PATHS, onSuccess: onClose });
  const takes = role === 'user' || role === 'guest';
  return (
    <Dialog opened={opened} onClose={onClose} title={`Change the role of ${member.name}`}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          update.mutate({ params: { path: { workspaceId: workspace.id, memberId: member.id } }, body: { role, ...(takes ? { locationIds } : {}) } });
        }}
      >
        <Stack>
          <Select label="Role" data={roles.map((r) => ({ value: r, label: ROLE_LABELS[r] }))} value={role} onChange={(v) => v && setRole(v as InvitableRole)} allowDeselect={false} data-autofocus comboboxProps={{ withinPortal: true }} />
          {takes ? (
            <MultiSelect
              label="Locations"
              data={(locations.data?.items ?? []).map((l) => ({ value: l.id, label: l.name }))}
              value={locationIds}
              onChange={setLocationIds}
              searchable
              clearable
              comboboxProps={{ withinPortal: true }}
            />
          ) : null}
          <ErrorAlert error={update.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={update.isPending}>
              Save
            </Button>
          </Group>
        </Stack>
      </form>
    </Dialog>
  );
}

const INVITATION_STATUS_FILTERS = [
  { value: '', label: 'Any status' },
  { value: 'pending', label: 'Pending' },
  { value: 'accepted', label: 'Accepted' },
  { value: 'declined', label: 'Declined' },
  { value: 'revoked', label: 'Revoked' },
  { value: 'expired', label: 'Expired' },
];

/** Re-renders every second while something on screen counts down. */
function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  const interval = useInterval(() => setNow(Date.now()), 1000);
  useEffect(() => {
    if (active) interval.start();
    else interval.stop();
    return interval.stop;
  }, [active, interval]);
  return now;
}

function InvitationsTable({ workspace, onInvite }: { workspace: Workspace; onInvite: (() => void) | undefined }) {
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 300);
  const [status, setStatus] = useState('');
  const query = { limit: 25, ...(q ? { q } : {}), ...(status ? { status } : {}) };
  const list = useApiInfiniteQuery('/api/workspaces/{workspaceId}/invitations', { path: { workspaceId: workspace.id }, query });
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const locationNames = useLocationNames(workspace.id);
  const coolingDown = rows.some((r) => r.abilities.resend && new Date(r.resendAvailableAt).getTime() > Date.now());
  const now = useNow(coolingDown);

  return (
    <Stack>
      <Group align="flex-end">
        <TextInput label="Search" placeholder="Email" value={search} onChange={(e) => setSearch(e.currentTarget.value)} w={260} type="search" />
        <Select label="Status" data={INVITATION_STATUS_FILTERS} value={status} onChange={(v) => setStatus(v ?? '')} allowDeselect={false} w={200} />
      </Group>
      <ErrorAlert error={list.error} />
      {list.isPending ? (
        <PageLoader label="Loading invitations…" />
      ) : rows.length === 0 ? (
        <EmptyHint title={q || status ? 'No invitations match these filters' : 'No invitations yet'}>
          {q || status ? 'Try another search or status.' : 'Invitations you send appear here with their status: pending, accepted, declined, revoked or expired.'}
          {!q && !status && onInvite ? (
            <>
              {' '}
              <Button variant="subtle" size="compact-sm" onClick={onInvite}>
                Invite people
              </Button>
            </>
          ) : null}
        </EmptyHint>
      ) : (
        <Table.ScrollContainer minWidth={760}>
          <Table highlightOnHover verticalSpacing="sm" aria-label="Invitations">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Email</Table.Th>
                <Table.Th>Role</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Locations</Table.Th>
                <Table.Th>Invited by</Table.Th>
                <Table.Th>Expires</Table.Th>
                <Table.Th>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((inv) => (
                <InvitationRow key={inv.id} invitation={inv} workspace={workspace} locationNames={locationNames} now={now} />
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {list.hasNextPage ? (
        <Button variant="default" onClick={() => list.fetchNextPage()} loading={list.isFetchingNextPage} w="fit-content">
          Load more
        </Button>
      ) : null}
    </Stack>
  );
}

function formatWait(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}` : `${s} s`;
}

function InvitationRow({ invitation: inv, workspace, locationNames, now }: { invitation: Invitation; workspace: Workspace; locationNames: Map<string, string>; now: number }) {
  const [confirmRevoke, setConfirmRevoke] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const path = { workspaceId: workspace.id, invitationId: inv.id };
  const resend = useApiMutation('post', '/api/workspaces/{workspaceId}/invitations/{invitationId}/resend', {
    invalidates: INVITATION_PATHS,
    onSuccess: () => setNotice(`New link sent to ${inv.email}; the previous link no longer works.`),
  });
  const revoke = useApiMutation('delete', '/api/workspaces/{workspaceId}/invitations/{invitationId}', { invalidates: INVITATION_PATHS });
  const wait = new Date(inv.resendAvailableAt).getTime() - now;
  const hasActions = inv.abilities.resend || inv.abilities.revoke;
  const locs = inv.locationIds.map((id) => locationNames.get(id) ?? 'Deleted location');
  const finished = inv.status !== 'pending' && inv.status !== 'expired';

  return (
    <Table.Tr data-testid={`invitation-row-${inv.email}`}>
      <Table.Td>
        <Text size="sm" fw={600}>
          {inv.email}
        </Text>
        {notice ? (
          <Text size="xs" c="#1e6b34" role="status">
            {notice}
          </Text>
        ) : null}
        {resend.error ? <ErrorAlert error={resend.error} /> : null}
      </Table.Td>
      <Table.Td>
        <RoleBadge role={inv.role} />
      </Table.Td>
      <Table.Td>
        <InvitationStatusBadge status={inv.status} />
      </Table.Td>
      <Table.Td>
        <Text size="sm">{locs.length ? locs.join(', ') : '—'}</Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{inv.inviter?.name ?? '—'}</Text>
        {inv.resendCount ? (
          <Text size="xs" c="dark.4">
            Sent {inv.resendCount + 1} times
          </Text>
        ) : null}
      </Table.Td>
      <Table.Td>
        <Text size="sm">{finished && inv.respondedAt ? `${inv.status === 'revoked' ? 'Revoked' : 'Answered'} ${formatDate(inv.respondedAt)}` : formatDateTime(inv.expiresAt)}</Text>
      </Table.Td>
      <Table.Td>
        {hasActions ? (
          <Menu position="bottom-end" withinPortal>
            <Menu.Target>
              <ActionIcon variant="subtle" color="dark" aria-label={`Actions for the invitation to ${inv.email}`} loading={resend.isPending}>
                <span aria-hidden>⋯</span>
              </ActionIcon>
            </Menu.Target>
            <Menu.Dropdown>
              {inv.abilities.resend ? (
                wait > 0 ? (
                  <Menu.Item disabled>Resend (available in {formatWait(wait)})</Menu.Item>
                ) : (
                  <Menu.Item onClick={() => resend.mutate({ params: { path } })}>Resend invitation</Menu.Item>
                )
              ) : null}
              {inv.abilities.revoke ? (
                <Menu.Item color="#b02525" onClick={() => setConfirmRevoke(true)}>
                  Revoke invitation
                </Menu.Item>
              ) : null}
            </Menu.Dropdown>
          </Menu>
        ) : null}
        <ConfirmDialog
          opened={confirmRevoke}
          onClose={() => setConfirmRevoke(false)}
          title="Revoke this invitation?"
          confirmLabel="Revoke"
          onConfirm={() => revoke.mutateAsync({ params: { path } })}
        >
          {`The link sent to ${inv.email} stops working at once. You can invite this address again later.`}
        </ConfirmDialog>
      </Table.Td>
    </Table.Tr>
  );
}
