/**
 * Log in: email + password, then the second factor when the account has one (a code, or a
 * passkey), or a passkey alone ("Sign in with a passkey"), or single sign-on: offered as soon
 * as the email's domain has it (`POST /api/v1/auth/sso/discover`; the password field goes
 * away when the organization enforces it), and also when the API answers 403 `sso-required`.
 * Also the landing page of SSO/social redirects (`?error=`, `?mfa_challenge=&mfa_methods=`).
 */
import { Alert, Anchor, Button, Divider, Group, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';

import { api, unwrap } from '../../api/client';
import { ApiError } from '../../api/problem';
import { ME_KEY } from '../../auth/session';
import { ProblemAlert, fieldError } from '../../components/ProblemAlert';
import { useT } from '../../i18n';
import { usePasskeyT } from './passkeyI18n';
import { PasskeyCancelled, getPasskey, passkeysSupported, type JsonObject } from './webauthn';

export type MfaMethod = 'totp' | 'webauthn';

export function parseMethods(value: string | null | undefined): MfaMethod[] {
  const found = (value ?? '').split(',').filter((m): m is MfaMethod => m === 'totp' || m === 'webauthn');
  return found.length ? found : ['totp'];
}

/** The domain of a plausible email address, or null while it is still being typed. */
export function emailDomain(email: string): string | null {
  const match = /^[^\s@]+@([^\s@]+\.[A-Za-z]{2,63})$/.exec(email.trim());
  return match?.[1] ? match[1].toLowerCase() : null;
}

function safeNext(value: string | null): string {
  return value && value.startsWith('/') && !value.startsWith('//') ? value : '/';
}

export function ssoStartUrl(slug: string, email: string, next: string): string {
  const query = new URLSearchParams({ next });
  if (email) query.set('email', email);
  return `/api/v1/auth/sso/${encodeURIComponent(slug.trim())}/login?${query.toString()}`;
}

function PasskeyError({ error }: { error: unknown }) {
  const pt = usePasskeyT();
  if (!error) return null;
  if (error instanceof PasskeyCancelled) {
    return (
      <Alert color="yellow" role="alert">
        {pt('passkey.cancelled')}
      </Alert>
    );
  }
  return <ProblemAlert error={error} />;
}

function MfaStep({ challengeId, methods, onBack }: { challengeId: string; methods: MfaMethod[]; onBack: () => void }) {
  const t = useT();
  const pt = usePasskeyT();
  const client = useQueryClient();
  const [code, setCode] = useState('');
  const canPasskey = methods.includes('webauthn') && passkeysSupported();
  const canCode = methods.includes('totp');
  const [useCode, setUseCode] = useState(!canPasskey);
  const answer = useMutation({
    mutationFn: () =>
      unwrap(api.POST('/api/v1/auth/mfa/challenge', { body: { challenge_id: challengeId, code: code.trim() } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ME_KEY }),
  });
  const passkey = useMutation({
    mutationFn: async () => {
      const options = await unwrap(api.POST('/api/v1/auth/webauthn/mfa/options', { body: { challenge_id: challengeId } }));
      const credential = await getPasskey(options.public_key as JsonObject);
      return unwrap(
        api.POST('/api/v1/auth/webauthn/mfa/verify', {
          body: { challenge_id: challengeId, ceremony_id: options.ceremony_id, credential },
        }),
      );
    },
    onSuccess: () => client.invalidateQueries({ queryKey: ME_KEY }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    answer.mutate();
  };
  return (
    <Stack>
      <Title order={1} size="h2">
        {t('auth.mfaTitle')}
      </Title>
      {canPasskey && !useCode ? (
        <Stack>
          <Text size="sm">{pt('passkey.mfaBody')}</Text>
          <PasskeyError error={passkey.error} />
          {passkey.isPending && (
            <Text size="sm" c="dimmed" role="status">
              {pt('passkey.waiting')}
            </Text>
          )}
          <Button onClick={() => passkey.mutate()} loading={passkey.isPending} data-autofocus autoFocus>
            {pt('passkey.use')}
          </Button>
          {canCode && (
            <Button variant="default" onClick={() => setUseCode(true)}>
              {pt('passkey.useCode')}
            </Button>
          )}
        </Stack>
      ) : (
        <form onSubmit={submit} noValidate>
          <Stack>
            <Text size="sm">{t('auth.mfaBody')}</Text>
            <ProblemAlert error={answer.error} />
            <TextInput
              label={t('auth.mfaCode')}
              value={code}
              onChange={(e) => setCode(e.currentTarget.value)}
              autoComplete="one-time-code"
              inputMode="text"
              required
              data-autofocus
              autoFocus
            />
            <Button type="submit" loading={answer.isPending} disabled={!code.trim()}>
              {t('auth.verify')}
            </Button>
            {canPasskey && (
              <Button variant="default" onClick={() => setUseCode(false)}>
                {pt('passkey.use')}
              </Button>
            )}
          </Stack>
        </form>
      )}
      <Button variant="subtle" onClick={onBack}>
        {t('auth.back')}
      </Button>
    </Stack>
  );
}

function SsoStep({ url, onBack }: { url: string; onBack: () => void }) {
  const t = useT();
  return (
    <Stack>
      <Title order={1} size="h2">
        {t('auth.ssoTitle')}
      </Title>
      <Text size="sm">{t('auth.ssoBody')}</Text>
      <Button component="a" href={url}>
        {t('auth.ssoContinue')}
      </Button>
      <Button variant="subtle" onClick={onBack}>
        {t('auth.back')}
      </Button>
    </Stack>
  );
}

function SsoBySlug({ email, next }: { email: string; next: string }) {
  const t = useT();
  const [slug, setSlug] = useState('');
  return (
    <Stack gap="xs">
      <TextInput
        label={t('auth.ssoSlug')}
        description={t('auth.ssoSlugHint')}
        value={slug}
        onChange={(e) => setSlug(e.currentTarget.value)}
      />
      <Button variant="default" component="a" href={slug.trim() ? ssoStartUrl(slug, email, next) : undefined} disabled={!slug.trim()}>
        {t('auth.ssoContinue')}
      </Button>
    </Stack>
  );
}

function PasskeySignIn() {
  const pt = usePasskeyT();
  const client = useQueryClient();
  const signIn = useMutation({
    mutationFn: async () => {
      const options = await unwrap(api.POST('/api/v1/auth/webauthn/login/options'));
      const credential = await getPasskey(options.public_key as JsonObject);
      return unwrap(api.POST('/api/v1/auth/webauthn/login/verify', { body: { ceremony_id: options.ceremony_id, credential } }));
    },
    onSuccess: () => client.invalidateQueries({ queryKey: ME_KEY }),
  });
  if (!passkeysSupported()) return null;
  return (
    <Stack gap="xs">
      <PasskeyError error={signIn.error} />
      <Button variant="default" onClick={() => signIn.mutate()} loading={signIn.isPending}>
        {pt('passkey.signIn')}
      </Button>
    </Stack>
  );
}

/** Whether the domain of the email being typed signs in with SSO (null until known). */
function useDomainSso(email: string) {
  const [debounced] = useDebouncedValue(email.trim(), 300);
  const domain = emailDomain(debounced);
  const discovery = useQuery({
    queryKey: ['sso-discover', domain],
    queryFn: () => unwrap(api.POST('/api/v1/auth/sso/discover', { body: { email: debounced } })),
    enabled: domain !== null,
    staleTime: 5 * 60_000,
    retry: false,
  });
  // A failed look-up (offline, rate limited) just means no SSO hint: the password still works.
  return domain !== null && emailDomain(email) === domain && discovery.data?.sso ? discovery.data : null;
}

export default function Login() {
  const t = useT();
  const client = useQueryClient();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [challenge, setChallenge] = useState<string | null>(params.get('mfa_challenge'));
  const [methods, setMethods] = useState<MfaMethod[]>(parseMethods(params.get('mfa_methods')));
  const [ssoUrl, setSsoUrl] = useState<string | null>(null);
  const [showSso, setShowSso] = useState(false);
  const externalError = params.get('error');
  const social = useQuery({
    queryKey: ['social-providers'],
    queryFn: () => unwrap(api.GET('/api/v1/auth/social')),
    staleTime: Infinity,
  });
  useEffect(() => {
    document.title = `${t('auth.loginTitle')} · Brain`;
  }, [t]);

  const login = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/auth/login', { body: { email: email.trim(), password } })),
    onSuccess: async (result) => {
      if ('challenge_id' in result && result.challenge_id) {
        setMethods(parseMethods(result.methods?.join(',')));
        setChallenge(result.challenge_id);
        setPassword('');
        return;
      }
      await client.invalidateQueries({ queryKey: ME_KEY });
    },
    onError: (error) => {
      if (error instanceof ApiError && error.kind === 'sso-required') {
        const url = error.problem.sso_login_url;
        if (typeof url === 'string') setSsoUrl(url);
      }
    },
  });

  const domainSso = useDomainSso(email);
  const pt = usePasskeyT();

  if (challenge) return <MfaStep challengeId={challenge} methods={methods} onBack={() => setChallenge(null)} />;
  if (ssoUrl) return <SsoStep url={ssoUrl} onBack={() => setSsoUrl(null)} />;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate();
  };
  const providers = social.data?.providers ?? [];
  const enforced = !!domainSso?.enforced;
  const domainSsoUrl = domainSso?.login_url ? `${domainSso.login_url}?${new URLSearchParams({ next, email: email.trim() }).toString()}` : null;
  return (
    <Stack>
      <Title order={1} size="h2">
        {t('auth.loginTitle')}
      </Title>
      {externalError && (
        <Alert color="red" role="alert">
          {t('auth.externalError', { code: externalError })}
        </Alert>
      )}
      <form onSubmit={submit} noValidate>
        <Stack>
          <ProblemAlert error={login.error} />
          <TextInput
            label={t('auth.email')}
            type="email"
            autoComplete="email"
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            error={fieldError(login.error, 'email')}
            required
          />
          {domainSso && domainSsoUrl && (
            <Alert color="blue" role="status" data-testid="domain-sso">
              <Stack gap="xs">
                <Text size="sm">
                  {pt(enforced ? 'sso.domainEnforced' : 'sso.domainAvailable', {
                    organization: domainSso.organization_name ?? '',
                  })}
                </Text>
                <Group>
                  <Button component="a" href={domainSsoUrl}>
                    {pt('sso.continueDomain')}
                  </Button>
                </Group>
              </Stack>
            </Alert>
          )}
          {!enforced && (
            <>
              <PasswordInput
                label={t('auth.password')}
                autoComplete="current-password"
                value={password}
                onChange={(e) => setPassword(e.currentTarget.value)}
                error={fieldError(login.error, 'password')}
                required
              />
              <Button type="submit" loading={login.isPending}>
                {t('auth.login')}
              </Button>
            </>
          )}
        </Stack>
      </form>
      {!enforced && (
        <Anchor component={Link} to="/forgot-password" size="sm">
          {t('auth.forgotLink')}
        </Anchor>
      )}
      <Divider label={t('auth.or')} labelPosition="center" />
      <PasskeySignIn />
      {providers.map((provider) => (
        <Button key={provider.name} variant="default" component="a" href={`${provider.login_url}?next=${encodeURIComponent(next)}`}>
          {t('auth.social', { provider: provider.name.charAt(0).toUpperCase() + provider.name.slice(1) })}
        </Button>
      ))}
      {showSso ? (
        <SsoBySlug email={email.trim()} next={next} />
      ) : (
        <Button variant="default" onClick={() => setShowSso(true)}>
          {t('auth.ssoOther')}
        </Button>
      )}
      <Text size="sm">
        {t('auth.noAccount')}{' '}
        <Anchor component={Link} to="/signup">
          {t('auth.signupLink')}
        </Anchor>
      </Text>
    </Stack>
  );
}
