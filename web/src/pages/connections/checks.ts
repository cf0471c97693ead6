/**
 * The connection test's checks as a checklist: each check sorted into what it is about
 * (credentials, permissions, configuration, account access, the sample read) so a failed one
 * can say how to fix it, for the way the provider is authorized.
 */
import type { ConnectionTest, Provider } from './api';

export type CheckKind = 'credentials' | 'scopes' | 'config' | 'access' | 'sample' | 'other';
export type AuthMethod = Provider['auth'];

export interface ChecklistItem {
  /** Stable across runs of the test (for React keys and test ids). */
  key: string;
  /** The check's name as the API reports it (`account act_123`, `read deals`…). */
  name: string;
  kind: CheckKind;
  ok: boolean;
  detail: string;
}

const ACCESS_PREFIXES = ['account', 'customer', 'advertiser', 'property', 'read ', 'shop'];

export function checkKind(name: string): CheckKind {
  const lower = name.trim().toLowerCase();
  if (lower === 'credentials') return 'credentials';
  if (lower === 'scopes' || lower === 'permissions') return 'scopes';
  if (lower === 'config' || lower === 'configuration') return 'config';
  if (lower === 'sample read') return 'sample';
  if (ACCESS_PREFIXES.some((prefix) => lower.startsWith(prefix))) return 'access';
  return 'other';
}

/**
 * The checklist, in the API's order. Missing scopes the API reported without a `scopes`
 * check of its own (some connectors only list them) become one failed permissions item.
 */
export function checklist(test: ConnectionTest): ChecklistItem[] {
  const items: ChecklistItem[] = test.checks.map((check, index) => ({
    key: `${index}:${check.name}`,
    name: check.name,
    kind: checkKind(check.name),
    ok: check.ok,
    detail: check.detail ?? '',
  }));
  if (test.missing_scopes.length > 0 && !items.some((item) => item.kind === 'scopes')) {
    items.push({ key: 'missing-scopes', name: 'scopes', kind: 'scopes', ok: false, detail: test.missing_scopes.join(', ') });
  }
  return items;
}

export type FixKey =
  | 'fix.credentials.oauth2'
  | 'fix.credentials.api_key'
  | 'fix.scopes.oauth2'
  | 'fix.scopes.api_key'
  | 'fix.config'
  | 'fix.access'
  | 'fix.sample'
  | 'fix.other'
  | 'fix.sandbox';

/** How to fix a failed check (the string key; it may use `{scopes}`). */
export function fixFor(kind: CheckKind, auth: AuthMethod, sandbox: boolean): FixKey {
  if (sandbox) return 'fix.sandbox';
  switch (kind) {
    case 'credentials':
      return auth === 'oauth2' ? 'fix.credentials.oauth2' : 'fix.credentials.api_key';
    case 'scopes':
      return auth === 'oauth2' ? 'fix.scopes.oauth2' : 'fix.scopes.api_key';
    case 'config':
      return 'fix.config';
    case 'access':
      return 'fix.access';
    case 'sample':
      return 'fix.sample';
    default:
      return 'fix.other';
  }
}

/** Whether a fix needs new credentials (a new key, or authorizing again). */
export function needsNewCredentials(items: ChecklistItem[]): boolean {
  return items.some((item) => !item.ok && (item.kind === 'credentials' || item.kind === 'scopes'));
}
