/**
 * The logged-in frame: header (organization switcher, language, theme, user menu), the
 * navigation (only what the member may use), the verify-email and billing banners, and the
 * page.
 *
 * Nothing the member already sees moves when a late answer arrives: the billing banner comes
 * after the page and sticks to the bottom of the window (the page never waits for the plan);
 * in the header, the onboarding progress appears in the free space on the left of the
 * right-hand controls, which have a fixed size (on a phone the user menu is the member's
 * initials).
 */
import { Alert, AppShell, Burger, Button, Group, Menu, NativeSelect, NavLink, Stack, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useMutation, useQueryClient, QueryErrorResetBoundary } from '@tanstack/react-query';
import { lazy, memo, startTransition, Suspense, useEffect, useState } from 'react';
import { Link, Outlet, useLocation, useNavigate } from 'react-router-dom';

import { api, unwrap } from '../api/client';
import { ME_KEY, useSession } from '../auth/session';
import type { Permission } from '../auth/permissions';
import { ErrorBoundary } from '../components/ErrorBoundary';
import { useT, type MessageKey } from '../i18n';
import { useIdle } from '../lib/idle';
import { useFirstPaintDone } from '../lib/paint';
import { notifyError, notifySuccess } from '../lib/notify';
import { operatorFlag } from '../pages/operator/access';
import { AccountButton } from './AccountButton';
import { ColorSchemeToggle, LanguageSelect } from './Controls';
import { useRouteFocus } from './RouteFocus';
import type { PageModule } from '../routes';

// Its own chunk (strings and queries of the billing pages stay out of the shell's bundle).
const loadBillingBanner = () => import('../pages/billing/BillingBanner');
const loadOnboardingProgress = () => import('../onboarding/HeaderProgress');
const BillingBanner = lazy(loadBillingBanner);
const OnboardingProgress = lazy(loadOnboardingProgress);

/** Starts fetching the shell's lazy parts (before the session is known; see preloadRoute). */
export function preloadShell(): Promise<PageModule>[] {
  // The billing banner is not among them: it sits under the page and is fetched once the
  // first page's work is done (see Shell).
  return [loadOnboardingProgress()];
}

interface NavItem {
  to: string;
  label: MessageKey;
  permission?: Permission;
  /** Only for platform operators. */
  operator?: boolean;
}

const NAV: { label: MessageKey; items: NavItem[] }[] = [
  {
    label: 'nav.brain',
    items: [
      { to: '/', label: 'nav.face', permission: 'data:read' },
      { to: '/brain/memory', label: 'nav.memory', permission: 'data:read' },
      { to: '/brain/oracle', label: 'nav.oracle', permission: 'data:read' },
      { to: '/brain/curiosity', label: 'nav.curiosity', permission: 'data:read' },
      { to: '/brain/runs', label: 'nav.runs', permission: 'data:read' },
      { to: '/brain/evaluations', label: 'nav.evaluations', permission: 'data:read' },
    ],
  },
  {
    label: 'nav.data',
    items: [
      { to: '/data', label: 'nav.overview', permission: 'data:read' },
      { to: '/import', label: 'nav.import', permission: 'imports:write' },
      { to: '/connections', label: 'nav.connections', permission: 'integrations:read' },
    ],
  },
  {
    label: 'nav.organization',
    items: [
      { to: '/settings/organization', label: 'nav.orgSettings', permission: 'organization:manage' },
      { to: '/settings/members', label: 'nav.members', permission: 'members:read' },
      { to: '/settings/roles', label: 'nav.roles', permission: 'roles:manage' },
      { to: '/settings/api-keys', label: 'nav.apiKeys', permission: 'api_keys:manage' },
      { to: '/settings/webhooks', label: 'nav.webhooks', permission: 'webhooks:manage' },
      { to: '/settings/audit', label: 'nav.audit', permission: 'audit:read' },
      { to: '/settings/billing', label: 'nav.billing', permission: 'billing:read' },
      { to: '/settings/usage', label: 'nav.usage', permission: 'billing:read' },
    ],
  },
  {
    label: 'nav.operator',
    items: [
      { to: '/operator/tenants', label: 'nav.tenants', operator: true },
      { to: '/operator/costs', label: 'nav.costs', operator: true },
      { to: '/operator/dead-letters', label: 'nav.deadLetters', operator: true },
    ],
  },
  {
    label: 'nav.account',
    items: [
      { to: '/settings/profile', label: 'nav.profile' },
      { to: '/settings/security', label: 'nav.security' },
      { to: '/settings/sessions', label: 'nav.sessions' },
    ],
  },
];

function OrgSwitcher() {
  const t = useT();
  const { me, orgId } = useSession();
  const client = useQueryClient();
  const navigate = useNavigate();
  const switchOrg = useMutation({
    mutationFn: (organization_id: string) =>
      unwrap(api.POST('/api/v1/auth/switch-organization', { body: { organization_id } })),
    onSuccess: async (next) => {
      client.setQueryData(ME_KEY, next);
      // Everything cached belongs to the previous organization.
      client.removeQueries({ predicate: (query) => query.queryKey[0] !== ME_KEY[0] });
      const name = next.memberships.find((m) => m.organization_id === next.current_organization_id)?.organization_name;
      notifySuccess(t('shell.switched', { name: name ?? '' }));
      navigate('/');
    },
    onError: (error) => notifyError(error, t('app.errorTitle')),
  });
  if (!me) return null;
  if (me.memberships.length < 2) {
    return (
      <Text fw={600} size="sm" truncate maw={200}>
        {me.memberships[0]?.organization_name}
      </Text>
    );
  }
  return (
    <NativeSelect
      aria-label={t('shell.org')}
      data={me.memberships.map((m) => ({ value: m.organization_id, label: m.organization_name }))}
      value={orgId ?? ''}
      onChange={(event) => {
        const value = event.currentTarget.value;
        if (value && value !== orgId) switchOrg.mutate(value);
      }}
      disabled={switchOrg.isPending}
      w={{ base: 150, sm: 220 }}
      // Gives way to the header's fixed controls on a phone (never pushes them).
      style={{ minWidth: 0 }}
      size="sm"
    />
  );
}

function UserMenu() {
  const t = useT();
  const { me } = useSession();
  const client = useQueryClient();
  const navigate = useNavigate();
  const logout = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/auth/logout')),
    onSettled: () => {
      client.clear();
      client.setQueryData(ME_KEY, null);
      navigate('/login');
    },
  });
  if (!me) return null;
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <AccountButton name={me.user.name} />
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>{me.user.email}</Menu.Label>
        <Menu.Item component={Link} to="/settings/profile">
          {t('nav.profile')}
        </Menu.Item>
        <Menu.Item component={Link} to="/settings/security">
          {t('nav.security')}
        </Menu.Item>
        <Menu.Divider />
        <Menu.Item color="red" onClick={() => logout.mutate()}>
          {t('shell.logout')}
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}

function VerifyBanner() {
  const t = useT();
  const resend = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/auth/verify/resend')),
    onSuccess: () => notifySuccess(t('shell.resent')),
    onError: (error) => notifyError(error, t('app.errorTitle')),
  });
  return (
    <Alert color="yellow" variant="light" mb="md" role="status">
      <Group justify="space-between" gap="xs">
        <Text size="sm">{t('shell.verifyBanner')}</Text>
        <Button size="xs" variant="default" loading={resend.isPending} onClick={() => resend.mutate()}>
          {t('shell.resend')}
        </Button>
      </Group>
    </Alert>
  );
}

/**
 * False on the first render, true right after it: the navigation's links (two dozen
 * components, hidden in the phone menu) are rendered in a transition after the first paint,
 * in slices, instead of in the same task as the page.
 */
function useLater(): boolean {
  const [ready, setReady] = useState(false);
  useEffect(() => startTransition(() => setReady(true)), []);
  return ready;
}

/** The navigation: only what the member may use. Re-rendered only when the session or the
 * address changes (not when the shell's own state does). */
const NavItems = memo(function NavItems({ onNavigate }: { onNavigate: () => void }) {
  const t = useT();
  const { me, can } = useSession();
  const location = useLocation();
  const isOperator = operatorFlag(me) === true;
  return (
    <Stack gap="md">
      {NAV.map((group) => {
        const items = group.items.filter((item) => (!item.permission || can(item.permission)) && (!item.operator || isOperator));
        if (items.length === 0) return null;
        return (
          <div key={group.label}>
            <Text size="xs" fw={700} tt="uppercase" c="dimmed" px="sm" mb={4} component="h2">
              {t(group.label)}
            </Text>
            {items.map((item) => {
              const active = item.to === '/' ? location.pathname === '/' : location.pathname.startsWith(item.to);
              return (
                <NavLink
                  key={item.to}
                  component={Link}
                  to={item.to}
                  label={t(item.label)}
                  active={active}
                  variant="filled"
                  aria-current={active ? 'page' : undefined}
                  onClick={onNavigate}
                />
              );
            })}
          </div>
        );
      })}
      <Group hiddenFrom="sm" px="sm">
        <LanguageSelect />
      </Group>
    </Stack>
  );
});

export function Shell() {
  const t = useT();
  const [opened, { toggle, close }] = useDisclosure();
  const { me, orgId } = useSession();
  const location = useLocation();
  const navReady = useLater();
  // The onboarding progress (its own chunk) from the frame after the first: fetched and run
  // while that frame is being made, it would delay the page's first paint.
  const progressWanted = useFirstPaintDone();
  // The billing banner (its chunk and the plan) once the browser is idle after the first page.
  const bannerWanted = useIdle();
  useRouteFocus();
  return (
    <>
      <a className="skip-link" href="#main">
        {t('app.skip')}
      </a>
      <AppShell
        header={{ height: 60 }}
        navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } }}
        padding="md"
      >
        <AppShell.Header>
          <Group h="100%" px="md" justify="space-between" wrap="nowrap" gap="xs">
            <Group gap="sm" wrap="nowrap" style={{ flex: '1 1 auto', minWidth: 0 }}>
              <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t('nav.openMenu')} aria-expanded={opened} />
              <Text component={Link} to="/" fw={800} size="lg" visibleFrom="xs" style={{ textDecoration: 'none', color: 'inherit' }}>
                {t('app.name')}
              </Text>
              <OrgSwitcher />
            </Group>
            {/* A sibling of the controls (not inside their group), so that appearing it
                moves nothing: it takes space from the organization's name on its left. */}
            {me && orgId && progressWanted && (
              <ErrorBoundary>
                <Suspense fallback={null}>
                  <OnboardingProgress />
                </Suspense>
              </ErrorBoundary>
            )}
            <Group gap="xs" wrap="nowrap" style={{ flexShrink: 0 }}>
              <Group gap="xs" visibleFrom="sm">
                <LanguageSelect />
              </Group>
              <ColorSchemeToggle />
              <UserMenu />
            </Group>
          </Group>
        </AppShell.Header>
        <AppShell.Navbar p="sm" component="nav" aria-label={t('nav.main')}>
          <div className="shell-nav-scroll">{navReady && <NavItems onNavigate={close} />}</div>
        </AppShell.Navbar>
        <AppShell.Main id="main" tabIndex={-1}>
          {me && !me.user.email_verified && <VerifyBanner />}
          <div className="shell-page">
            <QueryErrorResetBoundary>
              {({ reset }) => (
                <ErrorBoundary key={location.pathname} onReset={reset}>
                  <Outlet />
                </ErrorBoundary>
              )}
            </QueryErrorResetBoundary>
          </div>
          {me && orgId && bannerWanted && (
            <ErrorBoundary>
              <Suspense fallback={null}>
                <BillingBanner />
              </Suspense>
            </ErrorBoundary>
          )}
        </AppShell.Main>
      </AppShell>
    </>
  );
}
