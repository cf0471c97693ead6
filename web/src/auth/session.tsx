/**
 * The logged-in user (`GET /auth/me`), their current organization and what they may do there.
 * `me` is null when logged out (a 401); every page reads it through `useSession`.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';

import { api, unwrap, type Schemas } from '../api/client';
import { ApiError } from '../api/problem';
import { permissionsFor, type Permission } from './permissions';

export type Me = Schemas['Me'];
export const ME_KEY = ['me'] as const;

export async function fetchMe(): Promise<Me | null> {
  try {
    return await unwrap(api.GET('/api/v1/auth/me'));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

/** The membership of the organization the user is working in (null when logged out). */
export function currentMembership(me: Me | null | undefined): Me['memberships'][number] | undefined {
  return me?.memberships.find((m) => m.organization_id === me.current_organization_id) ?? me?.memberships[0];
}

export interface SessionInfo {
  me: Me | null | undefined;
  isLoading: boolean;
  orgId: string | undefined;
  orgName: string | undefined;
  role: string | undefined;
  can: (permission: Permission) => boolean;
  refresh: () => Promise<void>;
}

export function useSession(): SessionInfo {
  const client = useQueryClient();
  const query = useQuery({ queryKey: ME_KEY, queryFn: fetchMe, staleTime: 60_000 });
  const me = query.data;
  const membership = currentMembership(me);
  const permissions = permissionsFor(membership?.role);
  const refresh = useCallback(async () => {
    await client.invalidateQueries({ queryKey: ME_KEY });
  }, [client]);
  return {
    me,
    isLoading: query.isLoading,
    orgId: membership?.organization_id,
    orgName: membership?.organization_name,
    role: membership?.role,
    can: (permission) => permissions.has(permission),
    refresh,
  };
}

/** The current organization's id; only for pages rendered inside the logged-in shell. */
export function useOrgId(): string {
  const { orgId } = useSession();
  if (!orgId) throw new Error('No current organization');
  return orgId;
}
