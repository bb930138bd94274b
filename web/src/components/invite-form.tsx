import { Alert, Anchor, Button, Group, List, MultiSelect, Select, Stack, Table, Text } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useApiMutation, useApiQuery, type Data, type InvitableRole, type Workspace } from '../api/client';
import { skipReasonLabels } from '../api/problems';
import { ErrorAlert, ROLE_DESCRIPTIONS, ROLE_LABELS } from '../ui';
import { checkChips, EmailChipsInput } from './email-chips';

export type InviteResult = Data<'/api/workspaces/{workspaceId}/invitations', 'post'>;

const takesLocations = (role: InvitableRole) => role === 'user' || role === 'guest';

/** The role the form starts with: a plain user when allowed, else the lowest role offered. */
function defaultRole(roles: InvitableRole[]): InvitableRole | null {
  return roles.includes('user') ? 'user' : (roles[roles.length - 1] ?? null);
}

/**
 * Invite one or many addresses with a role (only roles the viewer may grant, from the API's
 * `abilities.invitableRoles`) and, for users and guests, locations.
 */
export function InviteForm({ workspace, onResult, submitLabel = 'Send invitations', secondary }: { workspace: Workspace; onResult: (r: InviteResult) => void; submitLabel?: string; secondary?: React.ReactNode }) {
  const roles = workspace.abilities.invitableRoles;
  const [emails, setEmails] = useState<string[]>([]);
  const [role, setRole] = useState<InvitableRole | null>(defaultRole(roles));
  const [locationIds, setLocationIds] = useState<string[]>([]);
  const [errors, setErrors] = useState<{ emails?: string; role?: string }>({});
  const locations = useApiQuery('/api/workspaces/{workspaceId}/locations', { path: { workspaceId: workspace.id } });
  const invite = useApiMutation('post', '/api/workspaces/{workspaceId}/invitations', {
    invalidates: ['/api/workspaces/{workspaceId}/invitations', '/api/workspaces/{workspaceId}/activity'],
    onSuccess: (r) => onResult(r),
  });

  function submit(e: FormEvent) {
    e.preventDefault();
    const chips = checkChips(emails);
    const bad = chips.filter((c) => c.problem).length;
    const errs = {
      ...(emails.length === 0 ? { emails: 'Add at least one email address' } : bad ? { emails: `Fix or remove ${bad} address${bad === 1 ? '' : 'es'} shown in red` } : {}),
      ...(role ? {} : { role: 'Choose a role' }),
    };
    setErrors(errs);
    if (Object.keys(errs).length || !role) return;
    invite.mutate({
      params: { path: { workspaceId: workspace.id } },
      body: { emails, role, ...(takesLocations(role) && locationIds.length ? { locationIds } : {}) },
    });
  }

  if (roles.length === 0) {
    return <Text>Your role in this workspace cannot invite anyone.</Text>;
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <EmailChipsInput
          values={emails}
          onChange={(v) => {
            setEmails(v);
            if (errors.emails) setErrors(({ emails: _, ...rest }) => rest);
          }}
          error={errors.emails}
        />
        <Select
          label="Role"
          data={roles.map((r) => ({ value: r, label: ROLE_LABELS[r] }))}
          value={role}
          onChange={(v) => setRole(v as InvitableRole | null)}
          allowDeselect={false}
          error={errors.role}
          description={role ? ROLE_DESCRIPTIONS[role] : undefined}
          comboboxProps={{ withinPortal: true }}
        />
        {role === 'guest' ? (
          <Text size="sm" data-testid="guest-invite-note">
            Someone without an account gets a username (their email) and a temporary password by email, valid 48 hours, with a “Join as a guest” link. At the first
            sign-in they choose their own password. Guest invitations expire after 3 days.
          </Text>
        ) : null}
        {role && takesLocations(role) ? (
          locations.data && locations.data.items.length === 0 ? (
            <Text size="sm" c="dark.4">
              No locations yet: {ROLE_LABELS[role].toLowerCase()}s will not be limited to any.{' '}
              {workspace.abilities.manageLocations ? (
                <Anchor component={Link} to={`/w/${workspace.id}/locations`}>
                  Create locations
                </Anchor>
              ) : null}
            </Text>
          ) : (
            <MultiSelect
              label="Locations"
              description="What this person may see. Leave empty for no location."
              placeholder={locationIds.length ? undefined : 'Choose locations'}
              data={(locations.data?.items ?? []).map((l) => ({ value: l.id, label: l.name }))}
              value={locationIds}
              onChange={setLocationIds}
              searchable
              clearable
              disabled={locations.isPending}
              comboboxProps={{ withinPortal: true }}
            />
          )
        ) : null}
        <ErrorAlert error={invite.error} />
        <Group justify="flex-end">
          {secondary}
          <Button type="submit" loading={invite.isPending}>
            {invite.isPending ? `Sending ${emails.length}…` : submitLabel}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** After sending: who was invited, and each skipped address with its reason. */
export function InviteSummary({ result }: { result: InviteResult }) {
  const { created, skipped } = result;
  return (
    <Stack gap="sm" aria-live="polite">
      <Alert color={created.length ? 'green' : 'yellow'} variant="light" title={created.length ? `Invited ${created.length} ${created.length === 1 ? 'person' : 'people'}` : 'Nobody was invited'} styles={{ title: { color: 'var(--mantine-color-dark-8)' } }}>
        {created.length ? (
          <List size="sm">
            {created.slice(0, 20).map((i) => (
              <List.Item key={i.id}>
                {i.email} as {ROLE_LABELS[i.role]}
              </List.Item>
            ))}
            {created.length > 20 ? <List.Item>…and {created.length - 20} more</List.Item> : null}
          </List>
        ) : (
          <Text size="sm">Every address was skipped; see why below.</Text>
        )}
      </Alert>
      {skipped.length ? (
        <div>
          <Text fw={600} size="sm" mb={4}>
            Skipped {skipped.length} {skipped.length === 1 ? 'address' : 'addresses'}
          </Text>
          <Table withTableBorder striped data-testid="skipped-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Email</Table.Th>
                <Table.Th>Reason</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {skipped.map((s, i) => (
                <Table.Tr key={`${s.email}-${i}`}>
                  <Table.Td>{s.email || '(empty)'}</Table.Td>
                  <Table.Td>{skipReasonLabels[s.reason] ?? s.reason}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </div>
      ) : null}
    </Stack>
  );
}
