import { ActionIcon, Button, Group, Menu, Stack, Table, Text, TextInput, VisuallyHidden } from '@mantine/core';
import { Dialog } from '../components/dialog';
import { useState, type FormEvent } from 'react';
import { useApiMutation, useApiQuery, type GetPath, type Schemas, type Workspace } from '../api/client';
import { ConfirmDialog } from '../components/confirm';
import { nameProblem } from '../forms';
import { EmptyHint, ErrorAlert, formatDate, PageLoader, PageTitle } from '../ui';
import { useWorkspace } from './home';

const LOCATION_PATHS: readonly GetPath[] = ['/api/workspaces/{workspaceId}/locations', '/api/workspaces/{workspaceId}/members', '/api/workspaces/{workspaceId}/activity'];

/** Aranet's Locations: named scopes that users and guests can be limited to. */
export function LocationsPage() {
  const ws = useWorkspace();
  const list = useApiQuery('/api/workspaces/{workspaceId}/locations', { path: { workspaceId: ws.id } });
  const manage = ws.abilities.manageLocations;
  return (
    <Stack>
      <PageTitle>Locations</PageTitle>
      <Text size="sm" c="dark.4" maw={640}>
        Members with the User or Guest role can be limited to locations: they see only what belongs to theirs. Administrators see every location.
      </Text>
      {manage ? <CreateLocation workspace={ws} /> : null}
      <ErrorAlert error={list.error} />
      {list.isPending ? (
        <PageLoader label="Loading locations…" />
      ) : !list.data || list.data.items.length === 0 ? (
        <EmptyHint title="No locations yet">{manage ? 'Add your first location above, for example a site, an office or a building.' : 'An administrator can add locations.'}</EmptyHint>
      ) : (
        <Table highlightOnHover verticalSpacing="sm" aria-label="Locations" maw={760}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Members</Table.Th>
              <Table.Th>Created</Table.Th>
              {manage ? (
                <Table.Th>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              ) : null}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data.items.map((l) => (
              <LocationRow key={l.id} location={l} workspace={ws} manage={manage} />
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

function CreateLocation({ workspace }: { workspace: Workspace }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<string | undefined>();
  const create = useApiMutation('post', '/api/workspaces/{workspaceId}/locations', { invalidates: LOCATION_PATHS, onSuccess: () => setName('') });
  function submit(e: FormEvent) {
    e.preventDefault();
    const problem = nameProblem(name);
    setError(problem ?? undefined);
    if (!problem) create.mutate({ params: { path: { workspaceId: workspace.id } }, body: { name: name.trim() } });
  }
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="xs" maw={520}>
        <Group align="flex-start">
          <TextInput label="New location" placeholder="Riga office" value={name} onChange={(e) => setName(e.currentTarget.value)} error={error} style={{ flex: 1 }} />
          <Button type="submit" loading={create.isPending} mt={25}>
            Add location
          </Button>
        </Group>
        <ErrorAlert error={create.error} />
      </Stack>
    </form>
  );
}

function LocationRow({ location: l, workspace, manage }: { location: Schemas['Location']; workspace: Workspace; manage: boolean }) {
  const [dialog, setDialog] = useState<null | 'rename' | 'delete'>(null);
  const [name, setName] = useState(l.name);
  const [nameError, setNameError] = useState<string | undefined>();
  const path = { workspaceId: workspace.id, locationId: l.id };
  const rename = useApiMutation('patch', '/api/workspaces/{workspaceId}/locations/{locationId}', { invalidates: LOCATION_PATHS, onSuccess: () => setDialog(null) });
  const remove = useApiMutation('delete', '/api/workspaces/{workspaceId}/locations/{locationId}', { invalidates: LOCATION_PATHS });
  return (
    <Table.Tr>
      <Table.Td>
        <Text fw={600} size="sm">
          {l.name}
        </Text>
      </Table.Td>
      <Table.Td>{l.memberCount ?? 0}</Table.Td>
      <Table.Td>{formatDate(l.createdAt)}</Table.Td>
      {manage ? (
        <Table.Td>
          <Menu position="bottom-end" withinPortal>
            <Menu.Target>
              <ActionIcon variant="subtle" color="dark" aria-label={`Actions for ${l.name}`}>
                <span aria-hidden>⋯</span>
              </ActionIcon>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Item onClick={() => setDialog('rename')}>Rename</Menu.Item>
              <Menu.Item color="#b02525" onClick={() => setDialog('delete')}>
                Delete
              </Menu.Item>
            </Menu.Dropdown>
          </Menu>
          <Dialog opened={dialog === 'rename'} onClose={() => setDialog(null)} title={`Rename ${l.name}`}>
            <form
              onSubmit={(e) => {
                e.preventDefault();
                const problem = nameProblem(name);
                setNameError(problem ?? undefined);
                if (!problem) rename.mutate({ params: { path }, body: { name: name.trim() } });
              }}
              noValidate
            >
              <Stack>
                <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={nameError} data-autofocus />
                <ErrorAlert error={rename.error} />
                <Group justify="flex-end">
                  <Button variant="default" onClick={() => setDialog(null)}>
                    Cancel
                  </Button>
                  <Button type="submit" loading={rename.isPending}>
                    Save
                  </Button>
                </Group>
              </Stack>
            </form>
          </Dialog>
          <ConfirmDialog opened={dialog === 'delete'} onClose={() => setDialog(null)} title={`Delete ${l.name}?`} confirmLabel="Delete location" onConfirm={() => remove.mutateAsync({ params: { path } })}>
            {`Members limited to ${l.name} lose that scope. Pending invitations that name it still work, without it.`}
          </ConfirmDialog>
        </Table.Td>
      ) : null}
    </Table.Tr>
  );
}
