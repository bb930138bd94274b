import { Anchor, Button, Paper, Stack, Text } from '@mantine/core';
import { useEffect, type ReactNode } from 'react';
import { Link, Navigate, useParams } from 'react-router';
import { useApiQuery, type Workspace } from '../api/client';
import { WorkspaceRequirements } from './requirements';
import { lastWorkspace, rememberWorkspace, useMe } from '../session';
import { ErrorAlert, isApiError, PageLoader, PageTitle } from '../ui';

export function HomeRedirect() {
  const me = useMe();
  const workspaces = me.data?.workspaces ?? [];
  if (workspaces.length === 0) return <Navigate to="/welcome" replace />;
  const last = lastWorkspace();
  const target = workspaces.find((w) => w.id === last) ?? workspaces[0]!;
  return <Navigate to={`/w/${target.id}/members`} replace />;
}

/** Loads the workspace of the URL; pages below read it with `useWorkspace()`. */
export function WorkspaceRoute({ children }: { children: ReactNode }) {
  const { workspaceId = '' } = useParams();
  const ws = useWorkspaceQuery(workspaceId);
  useEffect(() => {
    if (ws.data) rememberWorkspace(ws.data.id);
  }, [ws.data]);
  if (ws.isPending) return <PageLoader />;
  if (isApiError(ws.error, 'not_found', 'validation_failed')) {
    return (
      <Stack>
        <PageTitle>Workspace not found</PageTitle>
        <Text>This workspace does not exist, or you are not a member of it (any more).</Text>
        <Button component={Link} to="/" w="fit-content">
          Go to your workspaces
        </Button>
      </Stack>
    );
  }
  if (ws.error) return <ErrorAlert error={ws.error} />;
  if (ws.data.pendingRequirements.length) return <WorkspaceRequirements workspace={ws.data} />;
  return <>{children}</>;
}

export function useWorkspaceQuery(workspaceId: string) {
  return useApiQuery('/api/workspaces/{workspaceId}', { path: { workspaceId } }, { retry: false });
}

export function useWorkspace(): Workspace {
  const { workspaceId = '' } = useParams();
  const ws = useWorkspaceQuery(workspaceId);
  return ws.data!;
}

export function NotFoundPage() {
  return (
    <Paper withBorder p="xl" radius="md">
      <PageTitle>Page not found</PageTitle>
      <Text mb="md">There is nothing at this address.</Text>
      <Anchor component={Link} to="/">
        Go to Gatehouse
      </Anchor>
    </Paper>
  );
}
