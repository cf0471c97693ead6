/**
 * What the current member may do, to hide what they cannot use. The API stays the authority
 * (a hidden page still answers 403). The built-in roles' permissions come from the backend
 * (`roles.json`, written by `npm run api` from `brain.organizations.permissions`). A custom
 * role's permissions are not visible to its members, so they get the viewer set and pages
 * degrade to the API's "forbidden" problem on a 403.
 */
import type { Schemas } from '../api/client';
import roles from './roles.json';

export type Permission = Schemas['Permission'];

// A Record over the generated union: a permission added to the API without being listed
// here is a type error after `npm run api`.
const KNOWN: Record<Permission, true> = {
  'organization:read': true,
  'organization:manage': true,
  'organization:delete': true,
  'members:read': true,
  'members:invite': true,
  'members:manage': true,
  'roles:manage': true,
  'data:read': true,
  'data:write': true,
  'imports:write': true,
  'brain:run': true,
  'api_keys:manage': true,
  'integrations:read': true,
  'integrations:write': true,
  'billing:read': true,
  'billing:manage': true,
  'audit:read': true,
  'sso:manage': true,
  'webhooks:manage': true,
};

export const ALL_PERMISSIONS = Object.keys(KNOWN) as Permission[];

export const ROLE_PERMISSIONS: Record<string, ReadonlySet<Permission>> = Object.fromEntries(
  Object.entries(roles as Record<string, string[]>).map(([role, list]) => [role, new Set(list as Permission[])]),
);

export function permissionsFor(role: string | undefined): ReadonlySet<Permission> {
  if (!role) return new Set();
  return ROLE_PERMISSIONS[role] ?? ROLE_PERMISSIONS.viewer ?? new Set();
}
