import { Anchor, Badge, Button, Group, Select, Stack, Table, Text, TextInput, VisuallyHidden } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useApiMutation, useApiQuery, type GetPath, type Schemas, type Workspace } from '../api/client';
import { ConfirmDialog } from '../components/confirm';
import { Dialog } from '../components/dialog';
import { isEmail } from '../forms';
import { EmptyHint, ErrorAlert, formatDate, formatDateTime, PageLoader, PageTitle } from '../ui';
import { useWorkspace } from './home';
import { PARTNER_ROLE_LABELS } from './members';

type PartnerRole = keyof typeof PARTNER_ROLE_LABELS;
type Detail = Schemas['LocalPartnerDetail'];
type InviteResult = Schemas['InviteResult'];

const PARTNER_PATHS: readonly GetPath[] = ['/api/workspaces/{workspaceId}/local-partners', '/api/workspaces/{workspaceId}/members', '/api/workspaces/{workspaceId}/activity'];

const SKIP_REASONS: Record<InviteResult['skipped'][number]['reason'], string> = {
  invalid: 'not a valid address',
  duplicate: 'listed twice',
  already_member: 'already in the workspace',
  already_pending: 'already invited',
  domain_not_allowed: 'domain not allowed in this workspace',
  company_domain: 'on a company domain of this workspace (guests must be outsiders)',
};

function InviteOutcome({ result }: { result: InviteResult }) {
  return (
    <Stack gap={4} role="status">
      {result.created.length ? <Text size="sm">Invited: {result.created.map((i) => i.email).join(', ')}. Each gets a temporary password by email.</Text> : null}
      {result.skipped.map((s) => (
        <Text size="sm" key={s.email} c="#b02525">
          Not invited: {s.email} ({SKIP_REASONS[s.reason]})
        </Text>
      ))}
    </Stack>
  );
}

/** `/w/:workspaceId/partners`: local partners (admins: all, a partner's guests: their own). */
export function PartnersPage() {
  const ws = useWorkspace();
  const { partnerId } = useParams();
  if (partnerId) return <PartnerDetailView workspace={ws} partnerId={partnerId} />;
  return <PartnerList workspace={ws} />;
}

function PartnerList({ workspace }: { workspace: Workspace }) {
  const list = useApiQuery('/api/workspaces/{workspaceId}/local-partners', { path: { workspaceId: workspace.id } });
  const [creating, setCreating] = useState(false);
  const isAdmin = workspace.abilities.manageSettings;
  const items = list.data?.items ?? [];
  return (
    <Stack>
      <Group justify="space-between" align="flex-start">
        <PageTitle>Local partners</PageTitle>
        {isAdmin ? <Button onClick={() => setCreating(true)}>Create a partner</Button> : null}
      </Group>
      <Text size="sm">A local partner is an outside company whose people join as guests: its Guest Admins invite and remove its Guest Users.</Text>
      <ErrorAlert error={list.error} />
      {list.isPending ? (
        <PageLoader label="Loading partners…" />
      ) : items.length === 0 ? (
        <EmptyHint title="No local partners yet">{isAdmin ? 'Create one with its first Guest Admin.' : 'Nothing to show.'}</EmptyHint>
      ) : (
        <Table.ScrollContainer minWidth={560}>
          <Table verticalSpacing="sm" highlightOnHover aria-label="Local partners">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Partner</Table.Th>
                <Table.Th>Guest Admins</Table.Th>
                <Table.Th>Guest Users</Table.Th>
                <Table.Th>Created</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((p) => (
                <Table.Tr key={p.id} data-testid={`partner-row-${p.name}`}>
                  <Table.Td>
                    <Anchor component={Link} to={`/w/${workspace.id}/partners/${p.id}`} fw={600} size="sm">
                      {p.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{p.guestAdmins}</Table.Td>
                  <Table.Td>{p.guestUsers}</Table.Td>
                  <Table.Td>{formatDate(p.createdAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {isAdmin ? <CreatePartnerDialog workspace={workspace} opened={creating} onClose={() => setCreating(false)} /> : null}
    </Stack>
  );
}

function CreatePartnerDialog({ workspace, opened, onClose }: { workspace: Workspace; opened: boolean; onClose: () => void }) {
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [errors, setErrors] = useState<{ name?: string; email?: string }>({});
  const create = useApiMutation('post', '/api/workspaces/{workspaceId}/local-partners', {
    invalidates: PARTNER_PATHS,
    onSuccess: (d) => {
      close();
      navigate(`/w/${workspace.id}/partners/${d.partner.id}`);
    },
  });
  const close = () => {
    setName('');
    setEmail('');
    setErrors({});
    create.reset();
    onClose();
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const errs = { ...(name.trim() ? {} : { name: 'Enter the partner’s name' }), ...(isEmail(email.trim()) ? {} : { email: 'Enter a valid email address' }) };
    setErrors(errs);
    if (Object.keys(errs).length) return;
    create.mutate({ params: { path: { workspaceId: workspace.id } }, body: { name: name.trim(), guestAdminEmail: email.trim() } });
  };
  return (
    <Dialog opened={opened} onClose={close} title="Create a local partner">
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput label="Partner name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={errors.name} data-autofocus required />
          <TextInput
            label="Guest Admin email"
            description="Their first Guest Admin, on the partner’s own email domain (not yours). They get a temporary password by email."
            type="email"
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            error={errors.email}
            required
          />
          <ErrorAlert error={create.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending}>
              Create and invite
            </Button>
          </Group>
        </Stack>
      </form>
    </Dialog>
  );
}

function PartnerDetailView({ workspace, partnerId }: { workspace: Workspace; partnerId: string }) {
  const navigate = useNavigate();
  const path = { workspaceId: workspace.id, partnerId };
  const detail = useApiQuery('/api/workspaces/{workspaceId}/local-partners/{partnerId}', { path });
  const [inviting, setInviting] = useState(false);
  const [confirmRemove, setConfirmRemove] = useState(false);
  const remove = useApiMutation('delete', '/api/workspaces/{workspaceId}/local-partners/{partnerId}', { invalidates: PARTNER_PATHS });
  const isAdmin = workspace.abilities.manageSettings;
  const isGuestAdmin = workspace.partner?.id === partnerId && workspace.partner.role === 'guest_admin';
  if (detail.isPending) return <PageLoader label="Loading the partner…" />;
  if (detail.error) return <ErrorAlert error={detail.error} />;
  const p = detail.data;
  return (
    <Stack>
      <Anchor component={Link} to={`/w/${workspace.id}/partners`} size="sm">
        ← All partners
      </Anchor>
      <Group justify="space-between" align="flex-start">
        <PageTitle>{p.name}</PageTitle>
        <Group>
          {isAdmin || isGuestAdmin ? <Button onClick={() => setInviting(true)}>Invite guests</Button> : null}
          {isAdmin ? (
            <Button variant="outline" color="#b02525" onClick={() => setConfirmRemove(true)}>
              Remove partner
            </Button>
          ) : null}
        </Group>
      </Group>
      <Text size="sm">
        {p.guestAdmins} Guest Admin{p.guestAdmins === 1 ? '' : 's'}, {p.guestUsers} Guest User{p.guestUsers === 1 ? '' : 's'}. Created {formatDate(p.createdAt)}.
      </Text>
      <GuestsTable workspace={workspace} detail={p} />
      <PendingInvitations workspace={workspace} detail={p} />
      {isAdmin || isGuestAdmin ? <InviteGuestsDialog workspace={workspace} detail={p} guestAdminOnly={!isAdmin} opened={inviting} onClose={() => setInviting(false)} /> : null}
      <ConfirmDialog
        opened={confirmRemove}
        onClose={() => setConfirmRemove(false)}
        title={`Remove ${p.name}?`}
        confirmLabel="Remove partner"
        onConfirm={async () => {
          await remove.mutateAsync({ params: { path } });
          navigate(`/w/${workspace.id}/partners`, { replace: true });
        }}
      >
        {`Every guest of ${p.name} (${p.guests.length}) loses access to ${workspace.name} at once, and their pending invitations stop working.`}
      </ConfirmDialog>
    </Stack>
  );
}

function GuestsTable({ workspace, detail }: { workspace: Workspace; detail: Detail }) {
  return (
    <Stack gap="xs">
      <Text fw={700} component="h2" fz="lg" m={0}>
        Guests
      </Text>
      {detail.guests.length === 0 ? (
        <EmptyHint title="No guests yet">Guests appear here once they join.</EmptyHint>
      ) : (
        <Table.ScrollContainer minWidth={560}>
          <Table verticalSpacing="sm" aria-label={`Guests of ${detail.name}`}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Partner role</Table.Th>
                <Table.Th>Joined</Table.Th>
                <Table.Th>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {detail.guests.map((g) => (
                <GuestRow key={g.memberId} workspace={workspace} detail={detail} guest={g} />
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}

function GuestRow({ workspace, detail, guest: g }: { workspace: Workspace; detail: Detail; guest: Detail['guests'][number] }) {
  const [confirm, setConfirm] = useState(false);
  const path = { workspaceId: workspace.id, partnerId: detail.id, memberId: g.memberId };
  const remove = useApiMutation('delete', '/api/workspaces/{workspaceId}/local-partners/{partnerId}/members/{memberId}', { invalidates: PARTNER_PATHS });
  const switchRole = useApiMutation('patch', '/api/workspaces/{workspaceId}/local-partners/{partnerId}/members/{memberId}', { invalidates: PARTNER_PATHS });
  const other: PartnerRole = g.partnerRole === 'guest_admin' ? 'guest_user' : 'guest_admin';
  return (
    <Table.Tr data-testid={`partner-guest-${g.email}`}>
      <Table.Td>
        <Text size="sm" fw={600}>
          {g.name}
          {g.memberId === workspace.memberId ? ' (you)' : ''}
        </Text>
        <Text size="xs" c="dark.4">
          {g.email}
        </Text>
        <ErrorAlert error={switchRole.error} />
      </Table.Td>
      <Table.Td>
        <Badge color="dark.6" variant="outline" styles={{ root: { color: 'var(--mantine-color-dark-7)' } }}>
          {PARTNER_ROLE_LABELS[g.partnerRole]}
        </Badge>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{formatDate(g.joinedAt)}</Text>
      </Table.Td>
      <Table.Td>
        <Group gap="xs" justify="flex-end" wrap="nowrap">
          {g.abilities.changeRole ? (
            <Button size="compact-sm" variant="subtle" loading={switchRole.isPending} onClick={() => switchRole.mutate({ params: { path }, body: { partnerRole: other } })}>
              Make {PARTNER_ROLE_LABELS[other]}
            </Button>
          ) : null}
          {g.abilities.remove ? (
            <Button size="compact-sm" variant="subtle" color="#b02525" onClick={() => setConfirm(true)} aria-label={`Remove ${g.name}`}>
              Remove
            </Button>
          ) : null}
        </Group>
        <ConfirmDialog opened={confirm} onClose={() => setConfirm(false)} title={`Remove ${g.name}?`} confirmLabel="Remove" onConfirm={() => remove.mutateAsync({ params: { path } })}>
          {`${g.name} (${g.email}) loses access to ${workspace.name} at once.`}
        </ConfirmDialog>
      </Table.Td>
    </Table.Tr>
  );
}

function PendingInvitations({ workspace, detail }: { workspace: Workspace; detail: Detail }) {
  if (detail.invitations.length === 0) return null;
  return (
    <Stack gap="xs">
      <Text fw={700} component="h2" fz="lg" m={0}>
        Pending invitations
      </Text>
      <Table.ScrollContainer minWidth={560}>
        <Table verticalSpacing="sm" aria-label={`Pending invitations of ${detail.name}`}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Email</Table.Th>
              <Table.Th>Partner role</Table.Th>
              <Table.Th>Expires</Table.Th>
              <Table.Th>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {detail.invitations.map((i) => (
              <PendingRow key={i.id} workspace={workspace} detail={detail} invitation={i} />
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}

function PendingRow({ workspace, detail, invitation: i }: { workspace: Workspace; detail: Detail; invitation: Detail['invitations'][number] }) {
  const [notice, setNotice] = useState<string | null>(null);
  const resend = useApiMutation('post', '/api/workspaces/{workspaceId}/local-partners/{partnerId}/invitations/{invitationId}/resend', {
    invalidates: PARTNER_PATHS,
    onSuccess: () => setNotice(`Sent again to ${i.email} with a new temporary password; the previous one no longer works.`),
  });
  return (
    <Table.Tr data-testid={`partner-invitation-${i.email}`}>
      <Table.Td>
        <Text size="sm" fw={600}>
          {i.email}
        </Text>
        {notice ? (
          <Text size="xs" c="#1e6b34" role="status">
            {notice}
          </Text>
        ) : null}
        <ErrorAlert error={resend.error} />
      </Table.Td>
      <Table.Td>
        <Text size="sm">{PARTNER_ROLE_LABELS[i.partnerRole]}</Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{formatDateTime(i.expiresAt)}</Text>
      </Table.Td>
      <Table.Td>
        {i.abilities.resend ? (
          <Button size="compact-sm" variant="subtle" loading={resend.isPending} onClick={() => resend.mutate({ params: { path: { workspaceId: workspace.id, partnerId: detail.id, invitationId: i.id } } })}>
            Resend
          </Button>
        ) : null}
      </Table.Td>
    </Table.Tr>
  );
}

function InviteGuestsDialog({ workspace, detail, guestAdminOnly, opened, onClose }: { workspace: Workspace; detail: Detail; guestAdminOnly: boolean; opened: boolean; onClose: () => void }) {
  const [emails, setEmails] = useState('');
  const [role, setRole] = useState<PartnerRole>('guest_user');
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [result, setResult] = useState<InviteResult | null>(null);
  const invite = useApiMutation('post', '/api/workspaces/{workspaceId}/local-partners/{partnerId}/invitations', { invalidates: PARTNER_PATHS, onSuccess: (d) => setResult(d) });
  const close = () => {
    setEmails('');
    setRole('guest_user');
    setFieldError(undefined);
    setResult(null);
    invite.reset();
    onClose();
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const list = emails
      .split(/[\s,;]+/)
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = list.filter((s) => !isEmail(s));
    const problem = list.length === 0 ? 'Enter at least one email address' : bad.length ? `Not valid: ${bad.join(', ')}` : undefined;
    setFieldError(problem);
    if (problem) return;
    invite.mutate({ params: { path: { workspaceId: workspace.id, partnerId: detail.id } }, body: { emails: list, partnerRole: guestAdminOnly ? 'guest_user' : role } });
  };
  const roles: PartnerRole[] = guestAdminOnly ? ['guest_user'] : ['guest_user', 'guest_admin'];
  return (
    <Dialog opened={opened} onClose={close} title={`Invite guests to ${detail.name}`}>
      {result ? (
        <Stack>
          <InviteOutcome result={result} />
          <Group justify="flex-end">
            <Button onClick={close} data-autofocus>
              Done
            </Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={submit} noValidate>
          <Stack>
            <TextInput
              label="Email addresses"
              description="Separate several with commas or spaces. New people get a username and a temporary password by email."
              value={emails}
              onChange={(e) => setEmails(e.currentTarget.value)}
              error={fieldError}
              data-autofocus
            />
            <Select
              label="Partner role"
              data={roles.map((r) => ({ value: r, label: PARTNER_ROLE_LABELS[r] }))}
              value={guestAdminOnly ? 'guest_user' : role}
              onChange={(v) => v && setRole(v as PartnerRole)}
              allowDeselect={false}
              disabled={guestAdminOnly}
              comboboxProps={{ withinPortal: true }}
            />
            <ErrorAlert error={invite.error} />
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" loading={invite.isPending}>
                Send invitations
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Dialog>
  );
}
