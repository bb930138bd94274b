import { useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { call, useApiQuery } from './api/client';
import { PublicFrame } from './layout';
import { FinishSignIn } from './pages/finish-sign-in';
import { ErrorAlert, isApiError, PageLoader } from './ui';

/** The signed-in user and their workspaces; a 401 means "signed out", not an error. */
export function useMe() {
  return useApiQuery('/api/me', undefined, { retry: false, staleTime: 15_000 });
}

export function useDevMailboxAvailable(): boolean {
  const q = useApiQuery('/api/dev/mailbox', { query: { limit: 1 } }, { retry: false, staleTime: Infinity });
  return q.isSuccess;
}

const LAST_WORKSPACE = 'gatehouse.lastWorkspace';
export const rememberWorkspace = (id: string) => {
  try {
    localStorage.setItem(LAST_WORKSPACE, id);
  } catch {
    /* private mode */
  }
};
export const lastWorkspace = (): string | null => {
  try {
    return localStorage.getItem(LAST_WORKSPACE);
  } catch {
    return null;
  }
};

/** Where to go after signing in, taken from `?next=` (same-site paths only). */
export function safeNext(search: string, fallback = '/'): string {
  const next = new URLSearchParams(search).get('next');
  return next && next.startsWith('/') && !next.startsWith('//') ? next : fallback;
}

export function RequireAuth({ children }: { children: ReactNode }) {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return <PageLoader />;
  if (isApiError(me.error, 'unauthenticated')) {
    return <Navigate to={`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  }
  if (me.error) return <ErrorAlert error={me.error} />;
  if (me.data.nextStep) {
    return (
      <PublicFrame>
        <FinishSignIn step={me.data.nextStep} email={me.data.user.email} />
      </PublicFrame>
    );
  }
  return <>{children}</>;
}

export function useSignOut() {
  const client = useQueryClient();
  const navigate = useNavigate();
  /** `to: null` stays on the page and refetches what it shows (now as a signed-out visitor). */
  return async (to: string | null = '/sign-in') => {
    try {
      await call('post', '/api/auth/sign-out', {});
    } catch (e) {
      if (!isApiError(e, 'unauthenticated')) throw e;
    }
    if (to === null) {
      await client.resetQueries();
      return;
    }
    client.clear();
    navigate(to, { replace: true });
  };
}
