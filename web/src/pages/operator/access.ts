/**
 * Who is a platform operator. `GET /auth/me` is the source when it reports the user's
 * `is_platform_operator` flag; when it does not, the operator pages find out from the admin
 * API itself (403 `operator-required` for everyone else). Kept tiny: the shell imports it.
 */
import type { Me } from '../../auth/session';

/** true/false when /auth/me says, undefined when it does not report the flag. */
export function operatorFlag(me: Me | null | undefined): boolean | undefined {
  const user = me?.user as { is_platform_operator?: unknown } | undefined;
  const value = user?.is_platform_operator;
  return typeof value === 'boolean' ? value : undefined;
}
