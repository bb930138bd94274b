import '@mantine/core/styles.css';
import { Anchor, createTheme, defaultVariantColorsResolver, MantineProvider, Menu, parseThemeColor, type CSSVariablesResolver } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, Outlet, RouterProvider } from 'react-router';
import { ApiError } from './api/client';
import { AppLayout, PublicShell } from './layout';
import { ActivityPage } from './pages/activity';
import { SignInPage, SignUpPage } from './pages/auth';
import { DevMailboxPage } from './pages/dev-mailbox';
import { HomeRedirect, NotFoundPage, WorkspaceRoute } from './pages/home';
import { InboxPage } from './pages/inbox';
import { InviteLandingPage } from './pages/invite-landing';
import { LocationsPage } from './pages/locations';
import { MembersPage } from './pages/members';
import { PartnersPage } from './pages/partners';
import { SecurityPage } from './pages/security';
import { SettingsPage } from './pages/settings';
import { VerifyEmailPage } from './pages/verify-email';
import { WelcomePage } from './pages/welcome';
import { RequireAuth } from './session';

// primaryShade 8: filled buttons pass WCAG AA contrast (STACK gotcha 21).
function focusFirstMenuItem() {
  const attempt = (triesLeft: number) => {
    const item = document.querySelector<HTMLElement>('[data-menu-dropdown] [data-menu-item]:not(:disabled)');
    if (item) item.focus({ preventScroll: true });
    else if (triesLeft > 0) setTimeout(() => attempt(triesLeft - 1), 16);
  };
  setTimeout(() => attempt(10), 0);
}

// Links inside text are underlined: colour alone does not mark them (axe link-in-text-block).
const theme = createTheme({
  primaryShade: 8,
  primaryColor: 'blue',
  defaultRadius: 'md',
  components: {
    Anchor: Anchor.extend({ defaultProps: { underline: 'always' } }),
    // Mantine's focus placeholder is a role=presentation child of role=menu (axe aria-required-children).
    // Without it, focus is moved to the first enabled item on open, so Escape and the arrow keys work.
    Menu: Menu.extend({ defaultProps: { withInitialFocusPlaceholder: false, onOpen: focusFirstMenuItem } }),
  },
  // Subtle and light variants use shade 6 text by default (below 4.5:1 on their hover background): use shade 9.
  variantColorResolver: (input) => {
    const colors = defaultVariantColorsResolver(input);
    const parsed = parseThemeColor({ color: input.color || input.theme.primaryColor, theme: input.theme });
    if ((input.variant === 'subtle' || input.variant === 'light') && parsed.isThemeColor) {
      return { ...colors, color: `var(--mantine-color-${parsed.color}-9)`, ...(input.variant === 'subtle' ? { hover: `var(--mantine-color-${parsed.color}-0)` } : {}) };
    }
    return colors;
  },
});

// Mantine's default dimmed, error and placeholder greys/reds fall below 4.5:1 on white.
const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-error': 'var(--mantine-color-red-9)',
    '--mantine-color-placeholder': 'var(--mantine-color-gray-7)',
  },
  dark: {},
});

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A 4xx will not change by asking again; network hiccups and 5xx get one retry.
      retry: (count, error) => count < 1 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
      refetchOnWindowFocus: true,
    },
  },
});

const router = createBrowserRouter([
  {
    element: <PublicShell />,
    children: [
      { path: '/sign-in', element: <SignInPage /> },
      { path: '/sign-up', element: <SignUpPage /> },
      { path: '/verify-email/:token', element: <VerifyEmailPage /> },
      { path: '/invite/:token', element: <InviteLandingPage /> },
    ],
  },
  {
    element: (
      <RequireAuth>
        <AppLayout />
      </RequireAuth>
    ),
    children: [
      { index: true, element: <HomeRedirect /> },
      { path: '/welcome', element: <WelcomePage /> },
      { path: '/invitations', element: <InboxPage /> },
      { path: '/security', element: <SecurityPage /> },
      {
        path: '/w/:workspaceId',
        element: (
          <WorkspaceRoute>
            <Outlet />
          </WorkspaceRoute>
        ),
        children: [
          { index: true, element: <MembersPage /> },
          { path: 'members', element: <MembersPage /> },
          { path: 'locations', element: <LocationsPage /> },
          { path: 'activity', element: <ActivityPage /> },
          { path: 'settings', element: <SettingsPage /> },
          { path: 'partners', element: <PartnersPage /> },
          { path: 'partners/:partnerId', element: <PartnersPage /> },
        ],
      },
    ],
  },
  { element: <PublicShell wide />, children: [{ path: '/dev/mailbox', element: <DevMailboxPage /> }] },
  { element: <PublicShell />, children: [{ path: '*', element: <NotFoundPage /> }] },
]);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="light" cssVariablesResolver={cssVariablesResolver}>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
