/**
 * Log in: email + password, then the second factor when the account has one, or single
 * sign-on when the organization enforces it (the API answers 403 `sso-required` with the
 * provider's URL). Also the landing page of SSO/social redirects (`?error=`,
 * `?mfa_challenge=`).
 */
import { Alert, Anchor, Button, Divider, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';

import { api, unwrap } from '../../api/client';
import { ApiError } from '../../api/problem';
import { ME_KEY } from '../../auth/session';
import { ProblemAlert, fieldError } from '../../components/ProblemAlert';
import { useT } from '../../i18n';

function safeNext(value: string | null): string {
  return value && value.startsWith('/') && !value.startsWith('//') ? value : '/';
}

export function ssoStartUrl(slug: string, email: string, next: string): string {
  const query = new URLSearchParams({ next });
  if (email) query.set('email', email);
  return `/api/v1/auth/sso/${encodeURIComponent(slug.trim())}/login?${query.toString()}`;
}

function MfaStep({ challengeId, onBack }: { challengeId: string; onBack: () => void }) {
  const t = useT();
  const client = useQueryClient();
  const [code, setCode] = useState('');
  const answer = useMutation({
    mutationFn: () =>
      unwrap(api.POST('/api/v1/auth/mfa/challenge', { body: { challenge_id: challengeId, code: code.trim() } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ME_KEY }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    answer.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <Title order={1} size="h2">
          {t('auth.mfaTitle')}
        </Title>
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
        <Button variant="subtle" onClick={onBack}>
          {t('auth.back')}
        </Button>
      </Stack>
    </form>
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

export default function Login() {
  const t = useT();
  const client = useQueryClient();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [challenge, setChallenge] = useState<string | null>(params.get('mfa_challenge'));
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

  if (challenge) return <MfaStep challengeId={challenge} onBack={() => setChallenge(null)} />;
  if (ssoUrl) return <SsoStep url={ssoUrl} onBack={() => setSsoUrl(null)} />;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate();
  };
  const providers = social.data?.providers ?? [];
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
        </Stack>
      </form>
      <Anchor component={Link} to="/forgot-password" size="sm">
        {t('auth.forgotLink')}
      </Anchor>
      <Divider label={t('auth.or')} labelPosition="center" />
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
