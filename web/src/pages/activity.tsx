import { Button, Code, Group, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { useMemo, useState } from 'react';
import { useApiInfiniteQuery, useApiQuery, type Schemas } from '../api/client';
import { EmptyHint, ErrorAlert, formatDateTime, PageLoader, PageTitle, ROLE_LABELS } from '../ui';
import { useWorkspace } from './home';

/** Human labels for the event types the API records (src/modules/activity/events.ts). */
const EVENT_LABELS: Record<string, string> = {
  'auth.signed_up': 'Signed up',
  'auth.signed_in': 'Signed in',
  'auth.sign_in_failed': 'Failed sign-in',
  'auth.signed_out': 'Signed out',
  'auth.email_verified': 'Verified email',
  'auth.verification_sent': 'Verification email sent',
  'auth.password_changed': 'Changed password',
  'auth.api_token_created': 'Created an API token',
  'auth.api_token_revoked': 'Revoked an API token',
  'workspace.created': 'Created the workspace',
  'workspace.updated': 'Changed settings',
  'workspace.ownership_transferred': 'Transferred ownership',
  'member.joined': 'Joined',
  'member.role_changed': 'Changed a role',
  'member.locations_changed': 'Changed locations',
  'member.removed': 'Removed a member',
  'member.left': 'Left the workspace',
  'location.created': 'Created a location',
  'location.renamed': 'Renamed a location',
  'location.deleted': 'Deleted a location',
  'invitation.created': 'Invited',
  'invitation.resent': 'Resent an invitation',
  'invitation.revoked': 'Revoked an invitation',
  'invitation.declined': 'Declined an invitation',
  'invitation.accepted': 'Accepted an invitation',
  'email.dead_lettered': 'Email could not be delivered',
};

const TYPE_GROUPS = [
  { group: 'Invitations', items: ['invitation.created', 'invitation.resent', 'invitation.revoked', 'invitation.declined', 'invitation.accepted'] },
  { group: 'Members', items: ['member.joined', 'member.role_changed', 'member.locations_changed', 'member.removed', 'member.left', 'workspace.ownership_transferred'] },
  { group: 'Workspace', items: ['workspace.created', 'workspace.updated', 'location.created', 'location.renamed', 'location.deleted', 'email.dead_lettered'] },
];

function describe(e: Schemas['ActivityEvent'], names: Map<string, string>): string {
  const d = e.data as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof d.email === 'string') parts.push(d.email);
  if (typeof d.role === 'string') parts.push(`as ${ROLE_LABELS[d.role as keyof typeof ROLE_LABELS] ?? d.role}`);
  const label = (v: string) => ROLE_LABELS[v as keyof typeof ROLE_LABELS] ?? v;
  if (typeof d.from === 'string' && typeof d.to === 'string') parts.push(`${label(d.from)} → ${label(d.to)}`);
  if (typeof d.name === 'string') parts.push(`“${d.name}”`);
  if (Array.isArray(d.changed)) parts.push(`changed ${d.changed.join(', ')}`);
  if (e.targetUserId && e.targetUserId !== e.actorUserId && names.has(e.targetUserId)) parts.push(`(${names.get(e.targetUserId)})`);
  return parts.join(' ');
}

export function ActivityPage() {
  const ws = useWorkspace();
  const [type, setType] = useState<string | null>(null);
  const [actor, setActor] = useState<string | null>(null);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  // Names for the people involved: the API returns user ids (GAP: no actor names in events).
  const people = useApiQuery('/api/workspaces/{workspaceId}/members', { path: { workspaceId: ws.id }, query: { limit: 200, status: 'active,pending,removed' } });
  const names = useMemo(() => new Map((people.data?.items ?? []).map((m) => [m.userId, `${m.name} <${m.email}>`])), [people.data]);
  const query = {
    limit: 50,
    ...(type ? { type } : {}),
    ...(actor ? { actorUserId: actor } : {}),
    ...(from ? { from: new Date(`${from}T00:00:00`).toISOString() } : {}),
    ...(to ? { to: new Date(`${to}T23:59:59.999`).toISOString() } : {}),
  };
  const list = useApiInfiniteQuery('/api/workspaces/{workspaceId}/activity', { path: { workspaceId: ws.id }, query });
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const filtered = !!(type || actor || from || to);

  return (
    <Stack>
      <PageTitle>Activity</PageTitle>
      <Text size="sm" c="dark.4">
        Everything that happened in {ws.name}, newest first. The log is append-only and hash-chained, so edits are detectable.
      </Text>
      <Group align="flex-end" wrap="wrap">
        <Select
          label="Event"
          placeholder="Any event"
          data={TYPE_GROUPS.map((g) => ({ group: g.group, items: g.items.map((v) => ({ value: v, label: EVENT_LABELS[v] ?? v })) }))}
          value={type}
          onChange={setType}
          clearable
          w={240}
        />
        <Select
          label="Who"
          placeholder="Anyone"
          data={(people.data?.items ?? []).map((m) => ({ value: m.userId, label: m.name }))}
          value={actor}
          onChange={setActor}
          clearable
          searchable
          w={220}
        />
        <TextInput label="From" type="date" value={from} onChange={(e) => setFrom(e.currentTarget.value)} w={170} />
        <TextInput label="To" type="date" value={to} onChange={(e) => setTo(e.currentTarget.value)} w={170} />
        {filtered ? (
          <Button
            variant="subtle"
            onClick={() => {
              setType(null);
              setActor(null);
              setFrom('');
              setTo('');
            }}
          >
            Clear filters
          </Button>
        ) : null}
      </Group>
      <ErrorAlert error={list.error} />
      {list.isPending ? (
        <PageLoader label="Loading activity…" />
      ) : rows.length === 0 ? (
        <EmptyHint title={filtered ? 'No events match these filters' : 'Nothing has happened yet'}>{filtered ? 'Widen the dates or clear the filters.' : 'Invitations, new members and setting changes appear here.'}</EmptyHint>
      ) : (
        <Table.ScrollContainer minWidth={720}>
          <Table verticalSpacing="xs" striped aria-label="Activity log">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>Who</Table.Th>
                <Table.Th>What</Table.Th>
                <Table.Th>Details</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((e) => (
                <Table.Tr key={e.id}>
                  <Table.Td>
                    <Text size="sm">{formatDateTime(e.createdAt)}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{e.actorUserId ? (names.get(e.actorUserId) ?? 'A former member') : 'System'}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" fw={600}>
                      {EVENT_LABELS[e.type] ?? e.type}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{describe(e, names)}</Text>
                    {e.ip ? <Code fz="xs">{e.ip}</Code> : null}
                  </Table.Td>
                </Table.Tr>
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
