/**
 * Where the OAuth callback sends the user back: `/connections/{id}?connected=1` when the
 * platform authorized the connection, `/connections/{id}?error=authorization-refused` when
 * the user declined, `/connections?error=<problem slug>` when it failed otherwise. The slug
 * becomes a sentence saying what happened and what to do.
 */
import type { ConnKey } from './i18n';

// The callback sends the problem type's slug (brain/integrations/callback.py); a provider's
// own OAuth error codes are mapped too, should one come through.
const SLUGS: Record<string, ConnKey> = {
  'authorization-refused': 'oauth.error.access_denied',
  access_denied: 'oauth.error.access_denied',
  consent_required: 'oauth.error.access_denied',
  'invalid-token': 'oauth.error.invalid_state',
  'validation-error': 'oauth.error.invalid_state',
  'provider-error': 'oauth.error.provider_error',
  'bad-request': 'oauth.error.provider_error',
  server_error: 'oauth.error.provider_error',
  temporarily_unavailable: 'oauth.error.provider_error',
  unauthorized: 'oauth.error.unauthorized',
};

/** The message key for an error slug, and the slug cleaned for showing (never raw input). */
export function oauthError(slug: string): { key: ConnKey; reason: string } {
  const reason = slug
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '_')
    .slice(0, 60);
  return { key: SLUGS[reason] ?? 'oauth.error.unknown', reason: reason || 'unknown' };
}
