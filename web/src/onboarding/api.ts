/**
 * The onboarding checklist as TanStack Query hooks. The answer is kept fresh without a push
 * channel: refetched on every page that needs it (short stale time), after any successful
 * mutation anywhere in the app (connecting, importing, inviting, deciding an action…), and
 * every 15 s while the checklist is still open (syncs and brain runs finish in the background).
 */
import { useMutation, useQuery, useQueryClient, type QueryKey } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';

import { api, unwrap } from '../api/client';
import { ApiError } from '../api/problem';
import { useSession } from '../auth/session';
import { notifyError, notifySuccess } from '../lib/notify';
import { useOnboardingT } from './i18n';
import { checklistVisible, dataGate, type DataGate, type Onboarding } from './logic';

export const ONBOARDING_POLL_MS = 15_000;
export const onboardingKey = (orgId: string | undefined): QueryKey => ['onboarding', orgId ?? null];

/** The checklist's query (shared by the hook and the start-up prefetch, see preloadRoute). */
export function onboardingQuery(orgId: string | undefined) {
  return {
    queryKey: onboardingKey(orgId),
    queryFn: () => unwrap(api.GET('/api/v1/organizations/{org_id}/onboarding', { params: { path: { org_id: orgId ?? '' } } })),
    staleTime: 2_000,
    // A custom role without `organization:read` gets a 403: nothing to show, nothing to
    // retry. A network hiccup or a 5xx is retried.
    retry: (count: number, error: unknown) => count < 2 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
  };
}

export function useOnboarding() {
  const { orgId } = useSession();
  return useQuery({
    ...onboardingQuery(orgId),
    enabled: Boolean(orgId),
    refetchInterval: (query) => (checklistVisible(query.state.data) ? ONBOARDING_POLL_MS : false),
  });
}

/** Whether the data pages can show data yet (see `dataGate`). */
export function useDataGate(): DataGate {
  const query = useOnboarding();
  return dataGate(query.data, { isLoading: query.isLoading, isError: query.isError });
}

/** Refetch the checklist after every successful mutation (mounted once, in the shell). */
export function useOnboardingFollowsMutations(): void {
  const client = useQueryClient();
  useEffect(
    () =>
      client.getMutationCache().subscribe((event) => {
        if (event.type === 'updated' && event.action.type === 'success') {
          void client.invalidateQueries({ queryKey: ['onboarding'] });
        }
      }),
    [client],
  );
}

/**
 * When data lands or a brain run succeeds — noticed by the checklist's polling, whatever
 * started it (a sync's follow-up run, the schedule, another tab) — the pages' answers are
 * refetched: a dashboard cached while it was still empty must not stay empty. Mounted once,
 * in the shell.
 */
export function useDataFollowsOnboarding(): void {
  const { orgId } = useSession();
  const client = useQueryClient();
  const { data } = useOnboarding();
  const signature = data?.steps
    .filter((step) => step.id === 'first_sync' || step.id === 'first_brain_run')
    .map((step) => (step.done ? '1' : '0'))
    .join('');
  const previous = useRef<{ orgId: string | undefined; signature: string } | null>(null);
  useEffect(() => {
    if (signature === undefined) return;
    const before = previous.current;
    previous.current = { orgId, signature };
    if (!orgId || !before || before.orgId !== orgId || before.signature === signature) return;
    // Runs in progress are followed by their own polling; everything else is stale now.
    void client.invalidateQueries({ queryKey: ['brain', orgId], predicate: (query) => query.queryKey[2] !== 'run' });
    void client.invalidateQueries({ queryKey: ['overview', orgId] });
  }, [client, orgId, signature]);
}

/**
 * Hide the checklist (optimistic). The toasts are the mutation's own: the checklist that
 * started it is gone at once, and callbacks given to `mutate` die with it.
 */
export function useDismissOnboarding() {
  const { orgId } = useSession();
  const client = useQueryClient();
  const t = useOnboardingT();
  const key = onboardingKey(orgId);
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/organizations/{org_id}/onboarding/dismiss', { params: { path: { org_id: orgId ?? '' } } })),
    // Hidden at once; shown again if the server refuses.
    onMutate: async () => {
      await client.cancelQueries({ queryKey: key });
      const previous = client.getQueryData<Onboarding>(key);
      if (previous) client.setQueryData<Onboarding>(key, { ...previous, dismissed: true });
      return { previous };
    },
    onError: (error, _vars, context) => {
      if (context?.previous) client.setQueryData(key, context.previous);
      notifyError(error, t('onboarding.dismiss'));
    },
    onSuccess: (onboarding) => {
      client.setQueryData(key, onboarding);
      notifySuccess(t('onboarding.dismissed'));
    },
  });
}

export function useResendVerification() {
  return useMutation({ mutationFn: () => unwrap(api.POST('/api/v1/auth/verify/resend')) });
}
