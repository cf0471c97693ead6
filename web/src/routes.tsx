/**
 * The route table. Pages are lazy chunks (the initial bundle is the shell only); guards keep
 * logged-out visitors on the auth pages and hide pages the member's role cannot use.
 */
import { Stack } from '@mantine/core';
import type { QueryClient } from '@tanstack/react-query';
import { lazy, Suspense, type ComponentType, type LazyExoticComponent, type ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router-dom';

import { PageHeader, PageSkeleton } from './components/common';
import { currentMembership, useSession, type Me } from './auth/session';
import { permissionsFor, type Permission } from './auth/permissions';
import { useT } from './i18n';
import { AuthLayout } from './layout/AuthLayout';
import { preloadShell, Shell } from './layout/Shell';
import { NoPermission, NotFound } from './layout/Status';
import { afterFirstPaint, useFirstPaintDone } from './lib/paint';

const page = (load: () => Promise<{ default: ComponentType }>): LazyExoticComponent<ComponentType> => lazy(load);

const loadLogin = () => import('./pages/auth/Login');
const loadOverview = () => import('./pages/data/Overview');
const loadFace = () => import('./pages/brain/Face');

const Login = page(loadLogin);
const Signup = page(() => import('./pages/auth/Signup'));
const Verify = page(() => import('./pages/auth/Verify'));
const ForgotPassword = page(() => import('./pages/auth/ForgotPassword'));
const ResetPassword = page(() => import('./pages/auth/ResetPassword'));
const AcceptInvite = page(() => import('./pages/auth/AcceptInvite'));
const Overview = page(loadOverview);
const Import = page(() => import('./pages/data/Import'));
const Profile = page(() => import('./pages/account/Profile'));
const Security = page(() => import('./pages/account/Security'));
const Sessions = page(() => import('./pages/account/Sessions'));
const OrgSettings = page(() => import('./pages/org/OrgSettings'));
const Members = page(() => import('./pages/org/Members'));
const Roles = page(() => import('./pages/org/Roles'));
const ApiKeys = page(() => import('./pages/org/ApiKeys'));
const Audit = page(() => import('./pages/org/Audit'));
const Face = page(loadFace);
const Memory = page(() => import('./pages/brain/Memory'));
const Oracle = page(() => import('./pages/brain/Oracle'));
const Curiosity = page(() => import('./pages/brain/Curiosity'));
const BrainRuns = page(() => import('./pages/brain/Runs'));
const Connections = page(() => import('./pages/connections/Connections'));
const ConnectWizard = page(() => import('./pages/connections/Wizard'));
const ConnectionDetail = page(() => import('./pages/connections/ConnectionDetail'));
const WebhookEndpoints = page(() => import('./pages/webhooks/Endpoints'));
const WebhookEndpoint = page(() => import('./pages/webhooks/EndpointDetail'));
const Evaluations = page(() => import('./pages/brain/Evaluations'));
const Billing = page(() => import('./pages/billing/Billing'));
const Usage = page(() => import('./pages/billing/Usage'));
const OperatorTenants = page(() => import('./pages/operator/Tenants'));
const OperatorTenant = page(() => import('./pages/operator/Tenant'));
const OperatorCosts = page(() => import('./pages/operator/Costs'));
const OperatorDeadLetters = page(() => import('./pages/operator/DeadLetters'));

/**
 * What a page module may export besides its component: the queries its first render will
 * make, started as soon as the session is known (see preloadRoute).
 */
export type Prefetch = (client: QueryClient, orgId: string, search: URLSearchParams) => void;
export interface PageModule {
  default: unknown;
  prefetch?: Prefetch;
}

/**
 * The pages most visits start on, by path: their chunks are fetched at start-up — at once
 * when the page's first paint needs them, after it when the page has a stand-in for its first
 * frame (`firstFrame`, see FirstPaint): then the chunk arriving cannot delay that frame.
 */
const LANDING: Record<string, { load: () => Promise<PageModule>; permission?: Permission; firstFrame?: boolean }> = {
  '/': { load: loadFace, permission: 'data:read', firstFrame: true },
  '/data': { load: loadOverview, permission: 'data:read' },
  '/login': { load: loadLogin },
};

const AUTH_PATHS = new Set(['/login', '/signup', '/forgot-password', '/reset-password', '/verify', '/invite']);

/**
 * Starts what the first page needs as soon as it can instead of when its components first
 * render: the landing page's chunk and, for the logged-in pages, the shell's lazy parts; then,
 * once the session is known, the queries their first render makes (the page's data, the
 * onboarding progress). A visitor who turns out to be logged out has fetched a chunk for
 * nothing; every other visit is a few round trips shorter before its page is complete.
 */
export function preloadRoute(location: { pathname: string; search: string }, client: QueryClient, session: Promise<Me | null>): void {
  const landing = LANDING[location.pathname];
  const search = new URLSearchParams(location.search);
  // Once the session is known, the queries the modules' first render makes (a chunk that
  // fails to load here fails again, visibly, when its page renders).
  const prefetchAll = (modules: Promise<PageModule>[], isPage: boolean) => {
    for (const module of modules) void module.catch(() => undefined);
    void session
      .then((me) => {
        const membership = currentMembership(me);
        if (!membership) return;
        if (isPage && landing?.permission && !permissionsFor(membership.role).has(landing.permission)) return;
        for (const module of modules) {
          void module.then((m) => m.prefetch?.(client, membership.organization_id, search)).catch(() => undefined);
        }
      })
      .catch(() => undefined);
  };
  // The shell's lazy parts come after the first paint (the shell and the page's heading):
  // a chunk arriving earlier only delays that paint — the browser takes it in and runs it
  // first. So does the page's chunk when the page has a stand-in for its first frame; other
  // pages need theirs for that paint, at once.
  if (landing && !landing.firstFrame) prefetchAll([landing.load()], true);
  afterFirstPaint(() => {
    if (!AUTH_PATHS.has(location.pathname)) prefetchAll(preloadShell(), false);
    if (landing?.firstFrame) prefetchAll([landing.load()], true);
  });
}

/**
 * The page's loading state for the app's first frame, the page itself from the next: the
 * first paint (the shell, the page's title) does not wait for the page's chunk, nor is it
 * delayed by that chunk arriving while the frame is being made. Pages opened later render
 * at once.
 */
function FirstPaint({ children, fallback }: { children: ReactNode; fallback: ReactNode }) {
  return <>{useFirstPaintDone() ? children : fallback}</>;
}

/** The dashboard's old address: the home page now, keeping the persona and period. */
function FaceRedirect() {
  const location = useLocation();
  return <Navigate to={{ pathname: '/', search: location.search }} replace />;
}

function Lazy({ children, fallback }: { children: ReactNode; fallback?: ReactNode }) {
  return <Suspense fallback={fallback ?? <PageSkeleton />}>{children}</Suspense>;
}

/**
 * The dashboard's heading while its chunk loads: the words the page opens with are on screen
 * with the shell, not a chunk later (the page itself then starts with the same heading).
 */
function FaceLoading() {
  const t = useT();
  return (
    <Stack>
      <PageHeader title={t('face.title')} subtitle={t('face.subtitle')} />
      <PageSkeleton />
    </Stack>
  );
}

/** Logged-in pages: to the login page (coming back here after) when logged out. */
function RequireAuth({ children }: { children: ReactNode }) {
  const { me, isLoading } = useSession();
  const location = useLocation();
  if (isLoading) return <PageSkeleton />;
  if (!me) {
    const next = location.pathname + location.search;
    return <Navigate to={`/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return <>{children}</>;
}

function Guard({ permission, children, fallback }: { permission?: Permission; children: ReactNode; fallback?: ReactNode }) {
  const { can } = useSession();
  if (permission && !can(permission)) return <NoPermission />;
  return <Lazy fallback={fallback}>{children}</Lazy>;
}

/** Auth pages that make no sense when logged in (login, sign up) go to the app instead. */
function GuestOnly({ children }: { children: ReactNode }) {
  const { me, isLoading } = useSession();
  const location = useLocation();
  if (isLoading) return <PageSkeleton rows={2} />;
  if (me) {
    const next = new URLSearchParams(location.search).get('next');
    return <Navigate to={next && next.startsWith('/') && !next.startsWith('//') ? next : '/'} replace />;
  }
  return <Lazy>{children}</Lazy>;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<AuthLayout />}>
        <Route path="/login" element={<GuestOnly><Login /></GuestOnly>} />
        <Route path="/signup" element={<GuestOnly><Signup /></GuestOnly>} />
        <Route path="/forgot-password" element={<GuestOnly><ForgotPassword /></GuestOnly>} />
        <Route path="/reset-password" element={<Lazy><ResetPassword /></Lazy>} />
        <Route path="/verify" element={<Lazy><Verify /></Lazy>} />
        <Route path="/invite" element={<Lazy><AcceptInvite /></Lazy>} />
      </Route>
      <Route element={<RequireAuth><Shell /></RequireAuth>}>
        {/* FACE is the home page; the data overview lives under /data. */}
        <Route index element={<Guard permission="data:read" fallback={<FaceLoading />}><FirstPaint fallback={<FaceLoading />}><Face /></FirstPaint></Guard>} />
        <Route path="/data" element={<Guard permission="data:read"><Overview /></Guard>} />
        <Route path="/import" element={<Guard permission="imports:write"><Import /></Guard>} />
        <Route path="/connections" element={<Guard permission="integrations:read"><Connections /></Guard>} />
        <Route path="/connections/new" element={<Guard permission="integrations:write"><ConnectWizard /></Guard>} />
        <Route path="/connections/:id" element={<Guard permission="integrations:read"><ConnectionDetail /></Guard>} />
        <Route path="/face" element={<FaceRedirect />} />
        <Route path="/brain/memory" element={<Guard permission="data:read"><Memory /></Guard>} />
        <Route path="/brain/oracle" element={<Guard permission="data:read"><Oracle /></Guard>} />
        <Route path="/brain/curiosity" element={<Guard permission="data:read"><Curiosity /></Guard>} />
        <Route path="/brain/runs" element={<Guard permission="data:read"><BrainRuns /></Guard>} />
        <Route path="/brain/evaluations" element={<Guard permission="data:read"><Evaluations /></Guard>} />
        <Route path="/settings/profile" element={<Guard><Profile /></Guard>} />
        <Route path="/settings/security" element={<Guard><Security /></Guard>} />
        <Route path="/settings/sessions" element={<Guard><Sessions /></Guard>} />
        <Route path="/settings/organization" element={<Guard permission="organization:manage"><OrgSettings /></Guard>} />
        <Route path="/settings/members" element={<Guard permission="members:read"><Members /></Guard>} />
        <Route path="/settings/roles" element={<Guard permission="roles:manage"><Roles /></Guard>} />
        <Route path="/settings/api-keys" element={<Guard permission="api_keys:manage"><ApiKeys /></Guard>} />
        <Route path="/settings/webhooks" element={<Guard permission="webhooks:manage"><WebhookEndpoints /></Guard>} />
        <Route path="/settings/webhooks/:id" element={<Guard permission="webhooks:manage"><WebhookEndpoint /></Guard>} />
        <Route path="/settings/audit" element={<Guard permission="audit:read"><Audit /></Guard>} />
        <Route path="/settings/billing" element={<Guard permission="billing:read"><Billing /></Guard>} />
        <Route path="/settings/usage" element={<Guard permission="billing:read"><Usage /></Guard>} />
        {/* Operator pages check the operator flag themselves (not a role permission). */}
        <Route path="/operator" element={<Navigate to="/operator/tenants" replace />} />
        <Route path="/operator/tenants" element={<Guard><OperatorTenants /></Guard>} />
        <Route path="/operator/tenants/:tenantId" element={<Guard><OperatorTenant /></Guard>} />
        <Route path="/operator/costs" element={<Guard><OperatorCosts /></Guard>} />
        <Route path="/operator/dead-letters" element={<Guard><OperatorDeadLetters /></Guard>} />
        <Route path="/settings" element={<Navigate to="/settings/profile" replace />} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}
