/**
 * The integrations API as TanStack Query hooks: the provider catalogue, connections (read,
 * create, update, re-authorize, disconnect, test), syncs (list, start, follow one until it ends) and the
 * inbound webhook secret. Every key starts with `['connections', orgId]`, so a finished sync
 * or a change refreshes the connection, its history and the list at once.
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type QueryKey } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';

import { api, unwrap, type Schemas } from '../../api/client';
import { ApiError } from '../../api/problem';
import { useOrgId } from '../../auth/session';

export type Provider = Schemas['ProviderRead'];
export type Connection = Schemas['ConnectionRead'];
export type ConnectionStatus = Connection['status'];
export type ConnectionUpdate = Schemas['ConnectionUpdate'];
export type ConnectionTest = Schemas['ConnectionTestRead'];
export type Sync = Schemas['SyncRead'];
export type SyncMode = Sync['mode'];
export type InboundSecret = Schemas['InboundSecretRead'];

export const SYNC_POLL_MS = 1000;

export const connectionsKey = (orgId: string): QueryKey => ['connections', orgId];
const connectionKey = (orgId: string, id: string): QueryKey => ['connections', orgId, 'one', id];

const connectionPath = (orgId: string, connectionId: string) => ({ org_id: orgId, connection_id: connectionId });

export function useProviders() {
  return useQuery({
    queryKey: ['integrations', 'providers'],
    queryFn: () => unwrap(api.GET('/api/v1/integrations/providers')),
    staleTime: 10 * 60_000,
    select: (list) => list.data,
  });
}

/** The provider of a connection from the catalogue (undefined while loading or unknown). */
export function useProvider(id: string | null | undefined): Provider | undefined {
  const providers = useProviders();
  return id ? providers.data?.find((p) => p.id === id) : undefined;
}

export function useConnections() {
  const orgId = useOrgId();
  return useInfiniteQuery({
    queryKey: [...connectionsKey(orgId), 'list'],
    queryFn: ({ pageParam }) =>
      unwrap(api.GET('/api/v1/organizations/{org_id}/connections', { params: { path: { org_id: orgId }, query: { limit: 100, cursor: pageParam } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => (page.has_more ? (page.next_cursor ?? undefined) : undefined),
  });
}

export function useConnection(id: string | null) {
  const orgId = useOrgId();
  return useQuery({
    queryKey: connectionKey(orgId, id ?? ''),
    queryFn: () => unwrap(api.GET('/api/v1/organizations/{org_id}/connections/{connection_id}', { params: { path: connectionPath(orgId, id ?? '') } })),
    enabled: id !== null,
  });
}

export function useCreateConnection() {
  const orgId = useOrgId();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas['ConnectionCreate']) =>
      unwrap(api.POST('/api/v1/organizations/{org_id}/connections', { params: { path: { org_id: orgId } }, body })),
    onSuccess: (created) => {
      client.setQueryData(connectionKey(orgId, created.id), created);
      void client.invalidateQueries({ queryKey: [...connectionsKey(orgId), 'list'] });
    },
  });
}

export function useUpdateConnection(id: string) {
  const orgId = useOrgId();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: ConnectionUpdate) =>
      unwrap(api.PATCH('/api/v1/organizations/{org_id}/connections/{connection_id}', { params: { path: connectionPath(orgId, id) }, body })),
    onSuccess: (updated) => {
      client.setQueryData(connectionKey(orgId, id), updated);
      void client.invalidateQueries({ queryKey: [...connectionsKey(orgId), 'list'] });
    },
  });
}

/**
 * Authorizing a connection again (`needs_reauth`, a failing or rotated key): the answer is
 * the connection with its next step — an OAuth provider's authorization URL to go to, or
 * `ready` (an API key the provider accepted, a sandbox active again).
 */
export function useReauthorizeConnection(id: string) {
  const orgId = useOrgId();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas['ConnectionReauthorize']) =>
      unwrap(api.POST('/api/v1/organizations/{org_id}/connections/{connection_id}/reauthorize', { params: { path: connectionPath(orgId, id) }, body })),
    onSuccess: (connection) => {
      client.setQueryData(connectionKey(orgId, id), connection);
      void client.invalidateQueries({ queryKey: [...connectionsKey(orgId), 'list'] });
    },
  });
}

export function useDeleteConnection(id: string) {
  const orgId = useOrgId();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (purgeData: boolean) =>
      unwrap(
        api.DELETE('/api/v1/organizations/{org_id}/connections/{connection_id}', {
          params: { path: connectionPath(orgId, id), query: { purge_data: purgeData } },
        }),
      ),
    onSuccess: () => {
      client.removeQueries({ queryKey: connectionKey(orgId, id) });
      void client.invalidateQueries({ queryKey: [...connectionsKey(orgId), 'list'] });
    },
  });
}

export function useTestConnection(id: string) {
  const orgId = useOrgId();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/organizations/{org_id}/connections/{connection_id}/test', { params: { path: connectionPath(orgId, id) } })),
  });
}

export function useSetInboundSecret(id: string) {
  const orgId = useOrgId();
  return useMutation({
    mutationFn: (secret: string | null) =>
      unwrap(
        api.POST('/api/v1/organizations/{org_id}/connections/{connection_id}/webhook-secret', {
          params: { path: connectionPath(orgId, id) },
          body: secret ? { secret } : {},
        }),
      ),
  });
}

// --------------------------------------------------------------------------- syncs

export function syncFinished(sync: Pick<Sync, 'status'> | undefined): boolean {
  return sync?.status === 'succeeded' || sync?.status === 'failed';
}

export function useSyncHistory(connectionId: string, limit = 25) {
  const orgId = useOrgId();
  return useInfiniteQuery({
    queryKey: [...connectionsKey(orgId), 'syncs', connectionId, limit],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/organizations/{org_id}/connections/{connection_id}/syncs', {
          params: { path: connectionPath(orgId, connectionId), query: { limit, cursor: pageParam } },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => (page.has_more ? (page.next_cursor ?? undefined) : undefined),
  });
}

/** The id of the sync already queued/running when a start collides with it (409 `sync_id`). */
export function collidingSyncId(error: unknown): string | null {
  if (error instanceof ApiError && error.status === 409 && typeof error.problem.sync_id === 'string') return error.problem.sync_id;
  return null;
}

export function useStartSync(connectionId: string) {
  const orgId = useOrgId();
  return useMutation({
    mutationFn: (body: Schemas['SyncCreate']) =>
      unwrap(api.POST('/api/v1/organizations/{org_id}/connections/{connection_id}/syncs', { params: { path: connectionPath(orgId, connectionId) }, body })),
  });
}

/**
 * A sync polled until it ends; when it does, the connection (last sync, status), its history
 * and the list are refetched and `onFinished` is called once.
 */
export function useFollowSync(connectionId: string, syncId: string | null, onFinished?: (sync: Sync) => void) {
  const orgId = useOrgId();
  const client = useQueryClient();
  const query = useQuery({
    queryKey: [...connectionsKey(orgId), 'sync', connectionId, syncId],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/organizations/{org_id}/connections/{connection_id}/syncs/{sync_id}', {
          params: { path: { org_id: orgId, connection_id: connectionId, sync_id: syncId ?? '' } },
        }),
      ),
    enabled: syncId !== null,
    refetchInterval: (q) => (syncFinished(q.state.data) ? false : SYNC_POLL_MS),
    staleTime: (q) => (syncFinished(q.state.data) ? Infinity : 0),
  });
  const reported = useRef<string | null>(null);
  const data = query.data;
  useEffect(() => {
    if (!data || !syncFinished(data) || reported.current === data.id) return;
    reported.current = data.id;
    void client.invalidateQueries({ queryKey: connectionsKey(orgId), predicate: (q) => q.queryKey[2] !== 'sync' });
    onFinished?.(data);
  }, [data, client, orgId, onFinished]);
  return query;
}
