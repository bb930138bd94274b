import { Button, Paper, Stack, Text } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { call, invalidatePaths } from '../api/client';
import { useMe } from '../session';
import { ErrorAlert, isApiError, PageLoader, PageTitle } from '../ui';

/** `/verify-email/:token`, the link from the verification email. */
export function VerifyEmailPage() {
  const { token = '' } = useParams();
  const client = useQueryClient();
  const me = useMe();
  const [state, setState] = useState<{ kind: 'working' } | { kind: 'done'; email: string } | { kind: 'failed'; error: unknown }>({ kind: 'working' });
  const sent = useRef(false);

  useEffect(() => {
    // Once, even under StrictMode's double effects: the token is single-use.
    if (sent.current) return;
    sent.current = true;
    call('post', '/api/auth/verify-email', { body: { token } })
      .then(async (r) => {
        // Refresh the session's view first, so the banner is gone on the next page.
        await invalidatePaths(client, ['/api/me']);
        setState({ kind: 'done', email: r.user.email });
      })
      .catch((error: unknown) => setState({ kind: 'failed', error }));
  }, [token, client]);

  if (state.kind === 'working') return <PageLoader label="Verifying your email address…" />;
  const signedIn = !!me.data?.user;
  return (
    <Paper withBorder p="xl" radius="md">
      {state.kind === 'done' ? (
        <Stack>
          <PageTitle>Email address verified</PageTitle>
          <Text>
            <b>{state.email}</b> is confirmed. Invitations sent to it now appear under Pending invitations.
          </Text>
          <Button component={Link} to={signedIn ? '/' : '/sign-in'} w="fit-content">
            {signedIn ? 'Continue to Gatehouse' : 'Sign in'}
          </Button>
        </Stack>
      ) : (
        <Stack>
          <PageTitle>{isApiError(state.error, 'verification_link_invalid') ? 'This verification link no longer works' : 'We could not verify your address'}</PageTitle>
          {isApiError(state.error, 'verification_link_invalid') ? (
            <Text>It has expired, was already used, or a newer link was sent. {signedIn ? 'Ask for a new one from the banner at the top of Gatehouse.' : 'Sign in and ask for a new one.'}</Text>
          ) : (
            <ErrorAlert error={state.error} />
          )}
          <Button component={Link} to={signedIn ? '/' : '/sign-in'} w="fit-content">
            {signedIn ? 'Go to Gatehouse' : 'Sign in'}
          </Button>
        </Stack>
      )}
    </Paper>
  );
}
