import { Alert, Anchor, AppShell, Badge, Box, Burger, Button, Container, Divider, Group, Menu, NavLink, Paper, ScrollArea, Stack, Text, UnstyledButton } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useEffect, useState, type ReactNode } from 'react';
import { Link, Outlet, useLocation, useMatch, useNavigate, useParams } from 'react-router';
import { useApiMutation, useApiQuery } from './api/client';
import { useDevMailboxAvailable, useMe, useSignOut } from './session';
import { ErrorAlert, ROLE_LABELS } from './ui';

/** A navigation link that knows when it is the current page (aria-current + a high-contrast filled style). */
function NavItem({ to, label }: { to: string; label: string }) {
  const match = useMatch({ path: to, end: true });
  return <NavLink component={Link} to={to} label={label} active={!!match} variant="filled" aria-current={match ? 'page' : undefined} />;
}

function Brand() {
  return (
    <Anchor component={Link} to="/" underline="never" c="dark.8" fw={700} fz="lg" aria-label="Gatehouse home">
      <Group gap={8} wrap="nowrap">
        <img src="/favicon.svg" width={24} height={24} alt="" />
        <span>Gatehouse</span>
      </Group>
    </Anchor>
  );
}

/** Pages reached without an account (sign-in, invitation links) or outside a workspace. */
export function PublicShell({ wide = false }: { wide?: boolean }) {
  return (
    <PublicFrame wide={wide}>
      <Outlet />
    </PublicFrame>
  );
}

export function PublicFrame({ wide = false, children }: { wide?: boolean; children: ReactNode }) {
  return (
    <Box bg="gray.0" mih="100vh">
      <Box component="header" px="md" py="sm" bg="white" style={{ borderBottom: '1px solid var(--mantine-color-gray-3)' }}>
        <Brand />
      </Box>
      <Container component="main" size={wide ? 'xl' : 460} py="xl">
        {children}
      </Container>
    </Box>
  );
}

function VerifyBanner({ email }: { email: string }) {
  const [sent, setSent] = useState(false);
  const devMailbox = useDevMailboxAvailable();
  const resend = useApiMutation('post', '/api/me/verification', { onSuccess: () => setSent(true) });
  return (
    <Alert color="yellow" variant="light" mb="md" title="Verify your email address" styles={{ title: { color: 'var(--mantine-color-dark-8)' } }}>
      <Stack gap="xs">
        <Text size="sm">
          We sent a link to <b>{email}</b>. Until you open it, invitations sent to this address do not appear in your pending invitations.
        </Text>
        <Group gap="sm">
          <Button size="xs" variant="default" loading={resend.isPending} disabled={sent} onClick={() => resend.mutate({})}>
            {sent ? 'Sent, check your inbox' : 'Resend the email'}
          </Button>
          {devMailbox ? (
            <Anchor component={Link} to="/dev/mailbox" size="sm">
              Open the dev mailbox
            </Anchor>
          ) : null}
        </Group>
        <ErrorAlert error={resend.error} />
      </Stack>
    </Alert>
  );
}

function WorkspaceSwitcher({ currentId }: { currentId: string | undefined }) {
  const me = useMe();
  const navigate = useNavigate();
  const workspaces = me.data?.workspaces ?? [];
  const current = workspaces.find((w) => w.id === currentId);
  return (
    <Menu position="bottom-start" width={280} withinPortal>
      <Menu.Target>
        <UnstyledButton aria-label={`Switch workspace (current: ${current?.name ?? 'none'})`} px="sm" py={6} style={{ border: '1px solid var(--mantine-color-gray-4)', borderRadius: 8 }}>
          <Text size="sm" fw={600} truncate maw={220}>
            {current ? current.name : workspaces.length ? 'Choose a workspace' : 'No workspace yet'} ▾
          </Text>
        </UnstyledButton>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>Your workspaces</Menu.Label>
        {workspaces.map((w) => (
          <Menu.Item key={w.id} onClick={() => navigate(`/w/${w.id}/members`)} aria-current={w.id === currentId ? 'true' : undefined} rightSection={<Text size="xs">{ROLE_LABELS[w.role as keyof typeof ROLE_LABELS] ?? w.role}</Text>}>
            {w.name}
          </Menu.Item>
        ))}
        {workspaces.length === 0 ? <Menu.Item disabled>You are not in any workspace yet</Menu.Item> : null}
        <Menu.Divider />
        <Menu.Item onClick={() => navigate('/welcome')}>Create a workspace</Menu.Item>
        <Menu.Item onClick={() => navigate('/invitations')}>Pending invitations</Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}

export function usePendingInvitationCount(enabled: boolean): number {
  const q = useApiQuery('/api/me/invitations', undefined, { enabled, retry: false });
  return q.data?.items.length ?? 0;
}

export function AppLayout() {
  const [opened, { toggle, close }] = useDisclosure();
  const me = useMe();
  const { workspaceId } = useParams();
  const location = useLocation();
  const signOut = useSignOut();
  const devMailbox = useDevMailboxAvailable();
  const user = me.data!.user;
  const pending = usePendingInvitationCount(user.emailVerified);
  const ws = useApiQuery('/api/workspaces/{workspaceId}', { path: { workspaceId: workspaceId ?? '' } }, { enabled: !!workspaceId, retry: false });
  useEffect(close, [location.pathname, close]);
  const abilities = ws.data?.abilities;

  return (
    <AppShell header={{ height: 60 }} navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="md" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Brand />
            <WorkspaceSwitcher currentId={workspaceId} />
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Button component={Link} to="/invitations" variant="subtle" size="sm" rightSection={pending ? <Badge size="sm" color="red.9" variant="filled" aria-label={`${pending} pending`}>{pending}</Badge> : null}>
              Invitations
            </Button>
            <Menu position="bottom-end" withinPortal>
              <Menu.Target>
                <Button variant="default" size="sm" aria-label={`Account menu for ${user.name}`}>
                  {user.name}
                </Button>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>{user.email}</Menu.Label>
                <Menu.Item component={Link} to="/security">
                  Security
                </Menu.Item>
                <Menu.Item onClick={() => void signOut()}>Sign out</Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" aria-label="Main">
        <ScrollArea>
          {workspaceId ? (
            <Stack gap={2}>
              <Text size="xs" fw={700} c="dark.4" tt="uppercase" px="sm" py={4}>
                {ws.data?.name ?? 'Workspace'}
              </Text>
              {abilities?.viewMembers !== false ? <NavItem to={`/w/${workspaceId}/members`} label="Members" /> : null}
              <NavItem to={`/w/${workspaceId}/locations`} label="Locations" />
              {abilities?.manageSettings || ws.data?.partner ? <NavItem to={`/w/${workspaceId}/partners`} label="Partners" /> : null}
              {abilities?.viewActivity ? <NavItem to={`/w/${workspaceId}/activity`} label="Activity" /> : null}
              {abilities?.manageSettings ? <NavItem to={`/w/${workspaceId}/settings`} label="Settings" /> : null}
              <Divider my="sm" />
            </Stack>
          ) : null}
          <Stack gap={2}>
            <NavItem to="/invitations" label="Pending invitations" />
            <NavItem to="/security" label="Security" />
            <NavItem to="/welcome" label="Create a workspace" />
            {devMailbox ? <NavItem to="/dev/mailbox" label="Dev mailbox" /> : null}
          </Stack>
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main bg="gray.0">
        {!user.emailVerified ? <VerifyBanner email={user.email} /> : null}
        <Paper p="lg" radius="md" withBorder>
          <Outlet />
        </Paper>
      </AppShell.Main>
    </AppShell>
  );
}
