import { Alert, Button, Card, Group, SimpleGrid, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { useApiMutation, useApiQuery, type GetPath } from '../api/client';
import { ConfirmDialog } from '../components/confirm';
import { useMe } from '../session';
import { EmptyHint, ErrorAlert, formatDateTime, PageLoader, PageTitle, ROLE_LABELS } from '../ui';

const INBOX_PATHS: readonly GetPath[] = ['/api/me', '/api/workspaces'];

/** Invitations to the signed-in user's verified address, from every workspace. */
export function InboxPage() {
  const me = useMe();
  const verified = !!me.data?.user.emailVerified;
  const inbox = useApiQuery('/api/me/invitations', undefined, { enabled: verified, retry: false });
  return (
    <Stack>
      <PageTitle>Pending invitations</PageTitle>
      {!verified ? (
        <Alert color="yellow" variant="light" title="Verify your email address to see invitations" styles={{ title: { color: 'var(--mantine-color-dark-8)' } }}>
          <Text size="sm">
            Invitations are matched to your verified address only, so nobody can claim invitations meant for someone else. Open the link we sent to <b>{me.data?.user.email}</b>
            {' '}(use “Resend the email” above if you cannot find it). An invitation link from an email works without this step.
          </Text>
        </Alert>
      ) : inbox.isPending ? (
        <PageLoader label="Loading invitations…" />
      ) : inbox.error ? (
        <ErrorAlert error={inbox.error} />
      ) : inbox.data.items.length === 0 ? (
        <EmptyHint title="No pending invitations">When someone invites {me.data?.user.email} to a workspace, the invitation shows up here.</EmptyHint>
      ) : (
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          {inbox.data.items.map((i) => (
            <InboxCard key={i.id} invitation={i} />
          ))}
        </SimpleGrid>
      )}
    </Stack>
  );
}

function InboxCard({ invitation: i }: { invitation: { id: string; workspaceId: string; workspaceName: string; inviterName: string | null; role: keyof typeof ROLE_LABELS; expiresAt: string } }) {
  const navigate = useNavigate();
  const [confirm, setConfirm] = useState(false);
  const accept = useApiMutation('post', '/api/me/invitations/{invitationId}/accept', {
    invalidates: [...INBOX_PATHS, '/api/me/invitations'],
    onSuccess: (r) => navigate(`/w/${r.workspaceId}/members`),
  });
  const decline = useApiMutation('post', '/api/me/invitations/{invitationId}/decline', { invalidates: ['/api/me/invitations'] });
  const params = { path: { invitationId: i.id } };
  return (
    <Card withBorder radius="md" padding="lg" data-testid={`inbox-${i.workspaceName}`}>
      <Text fw={700} size="lg">
        {i.workspaceName}
      </Text>
      <Text size="sm" mb="sm">
        {i.inviterName ?? 'An administrator'} invited you as {ROLE_LABELS[i.role]}. Expires {formatDateTime(i.expiresAt)}.
      </Text>
      <ErrorAlert error={accept.error} />
      <Group mt="sm">
        <Button onClick={() => accept.mutate({ params })} loading={accept.isPending}>
          Accept
        </Button>
        <Button variant="default" onClick={() => setConfirm(true)}>
          Decline
        </Button>
      </Group>
      <ConfirmDialog opened={confirm} onClose={() => setConfirm(false)} title={`Decline the invitation to ${i.workspaceName}?`} confirmLabel="Decline" onConfirm={() => decline.mutateAsync({ params })}>
        Nobody is added, and the workspace can invite you again later.
      </ConfirmDialog>
    </Card>
  );
}
