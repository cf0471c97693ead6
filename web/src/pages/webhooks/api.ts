/**
 * The outbound webhooks API as TanStack Query hooks: the event types, endpoints (create with
 * the secret shown once, update, delete, rotate the secret, send a test event), each endpoint's delivery log,
 * and dead letters (inbound and outbound) with replay. Keys start with `['webhooks', orgId]`.
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type QueryKey } from '@tanstack/react-query';

import { api, unwrap, type Schemas } from '../../api/client';
import { useOrgId } from '../../auth/session';

export type Endpoint = Schemas['EndpointRead'];
export type EndpointWithSecret = Schemas['EndpointWithSecret'];
export type EventType = Schemas['EndpointCreate']['events'][number];
export type Attempt = Schemas['AttemptRead'];
export type Delivery = Schemas['DeliveryRead'];
export type DeadLetter = Schemas['DeadLetterRead'];
export type Direction = DeadLetter['direction'];

export const webhooksKey = (orgId: string): QueryKey => ['webhooks', orgId];
const endpointKey = (orgId: string, id: string): QueryKey => ['webhooks', orgId, 'endpoint', id];
const endpointPath = (orgId: string, id: string) => ({ org_id: orgId, endpoint_id: id });

/** The event types an endpoint can subscribe to, with what each means (the same for all). */
export function useEventTypes() {
  return useQuery({
    queryKey: ['webhooks', 'event-types'],
    queryFn: () => unwrap(api.GET('/api/v1/webhooks/event-types')),
    staleTime: 10 * 60_000,
    select: (list) => list.data,
  });
}

export function useEndpoints() {
  const orgId = useOrgId();
  return useInfiniteQuery({
    queryKey: [...webhooksKey(orgId), 'endpoints'],
    queryFn: ({ pageParam }) =>
      unwrap(api.GET('/api/v1/organizations/{org_id}/webhook-endpoints', { params: { path: { org_id: orgId }, query: { limit: 100, cursor: pageParam } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => (page.has_more ? (page.next_cursor ?? undefined) : undefined),
  });
}

export function useEndpoint(id: string) {
  const orgId = useOrgId();
  return useQuery({
    queryKey: endpointKey(orgId, id),
    queryFn: () => unwrap(api.GET('/api/v1/organizations/{org_id}/webhook-endpoints/{endpoint_id}', { params: { path: endpointPath(orgId, id) } })),
  });
}

/** The endpoint without its one-time secret (what the cache keeps). */
function withoutSecret(endpoint: EndpointWithSecret): Endpoint {
  const { secret: _secret, ...rest } = endpoint;
  return rest;
}

export function useCreateEndpoint() {
  const orgId = useOrgId();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas['EndpointCreate']) => unwrap(api.POST('/api/v1/organizations/{org_id}/webhook-endpoints', { params: { path: { org_id: orgId } }, body })),
    onSuccess: (created) => {
      client.setQueryData(endpointKey(orgId, created.id), withoutSecret(created));
      void client.invalidateQueries({ queryKey: [...webhooksKey(orgId), 'endpoints'] });
    },
  });
}

export function useUpdateEndpoint(id: string) {
  const orgId = useOrgId();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas['EndpointUpdate']) =>
      unwrap(api.PATCH('/api/v1/organizations/{org_id}/webhook-endpoints/{endpoint_id}', { params: { path: endpointPath(orgId, id) }, body })),
    onSuccess: (updated) => {
      client.setQueryData(endpointKey(orgId, id), updated);
      void client.invalidateQueries({ queryKey: [...webhooksKey(orgId), 'endpoints'] });
    },
  });
}

export function useDeleteEndpoint(id: string) {
  const orgId = useOrgId();
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/organizations/{org_id}/webhook-endpoints/{endpoint_id}', { params: { path: endpointPath(orgId, id) } })),
    onSuccess: () => {
      client.removeQueries({ queryKey: endpointKey(orgId, id) });
      void client.invalidateQueries({ queryKey: [...webhooksKey(orgId), 'endpoints'] });
    },
  });
}

export function useRotateSecret(id: string) {
  const orgId = useOrgId();
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/organizations/{org_id}/webhook-endpoints/{endpoint_id}/rotate-secret', { params: { path: endpointPath(orgId, id) } })),
    onSuccess: (rotated) => client.setQueryData(endpointKey(orgId, id), withoutSecret(rotated)),
  });
}

export function useSendTest(id: string) {
  const orgId = useOrgId();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/organizations/{org_id}/webhook-endpoints/{endpoint_id}/test', { params: { path: endpointPath(orgId, id) } })),
  });
}

export const DELIVERY_PAGE = 100;

/**
 * The endpoint's delivery log, newest first. While `follow` is set (a test event on its way,
 * or a delivery waiting for a retry) the log is refetched every `pollMs`.
 */
export function useDeliveries(id: string, { pollMs = 0 }: { pollMs?: number } = {}) {
  const orgId = useOrgId();
  return useInfiniteQuery({
    queryKey: [...webhooksKey(orgId), 'deliveries', id],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/organizations/{org_id}/webhook-endpoints/{endpoint_id}/deliveries', {
          params: { path: endpointPath(orgId, id), query: { limit: DELIVERY_PAGE, cursor: pageParam } },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => (page.has_more ? (page.next_cursor ?? undefined) : undefined),
    refetchInterval: pollMs > 0 ? pollMs : false,
  });
}

/** Dead letters of one direction; of one connection (inbound) or one endpoint (outbound). */
export function useDeadLetters(direction: Direction, only: { connectionId?: string; endpointId?: string } = {}) {
  const orgId = useOrgId();
  const connectionId = only.connectionId ?? null;
  const endpointId = only.endpointId ?? null;
  return useInfiniteQuery({
    queryKey: [...webhooksKey(orgId), 'dead-letters', direction, connectionId, endpointId],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/organizations/{org_id}/webhooks/dead-letters', {
          params: { path: { org_id: orgId }, query: { direction, connection_id: connectionId, endpoint_id: endpointId, limit: 50, cursor: pageParam } },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => (page.has_more ? (page.next_cursor ?? undefined) : undefined),
  });
}

export function useReplayDeadLetter() {
  const orgId = useOrgId();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.POST('/api/v1/organizations/{org_id}/webhooks/dead-letters/{dead_letter_id}/replay', { params: { path: { org_id: orgId, dead_letter_id: id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: webhooksKey(orgId) }),
  });
}
