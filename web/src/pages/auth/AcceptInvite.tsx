/**
 * Accept an invitation (`/invite?token=…`): as the logged-in user, or — for someone new —
 * by choosing a name and a password, which creates the account and logs it in.
 */
import { Alert, Anchor, Button, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';

import { api, unwrap } from '../../api/client';
import { ME_KEY, useSession } from '../../auth/session';
import { ProblemAlert, fieldError } from '../../components/ProblemAlert';
import { useT } from '../../i18n';
import { notifySuccess } from '../../lib/notify';

export default function AcceptInvite() {
  const t = useT();
  const client = useQueryClient();
  const navigate = useNavigate();
  const { me } = useSession();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  useEffect(() => {
    document.title = `${t('auth.inviteTitle')} · Brain`;
  }, [t]);
  const accept = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/invites/{token}/accept', {
          params: { path: { token } },
          body: me ? {} : { name: name || null, password: password || null },
        }),
      ),
    onSuccess: async (result) => {
      if (result.logged_in || me) {
        // Join, then land in the organization just joined.
        await unwrap(api.POST('/api/v1/auth/switch-organization', { body: { organization_id: result.organization_id } })).catch(() => undefined);
        await client.invalidateQueries({ queryKey: ME_KEY });
        notifySuccess(t('auth.inviteAccepted', { name: result.organization_name }));
        navigate('/');
      }
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    accept.mutate();
  };
  if (accept.isSuccess && !accept.data.logged_in && !me) {
    return (
      <Stack>
        <Title order={1} size="h2">
          {t('auth.inviteTitle')}
        </Title>
        <Alert color="green" role="status">
          {t('auth.inviteAccepted', { name: accept.data.organization_name })}
        </Alert>
        <Button component={Link} to="/login">
          {t('auth.login')}
        </Button>
      </Stack>
    );
  }
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <Title order={1} size="h2">
          {t('auth.inviteTitle')}
        </Title>
        {!token && <Alert color="yellow">{t('auth.resetMissing')}</Alert>}
        <Text size="sm">{me ? t('auth.inviteBody') : t('auth.inviteNewAccount')}</Text>
        <ProblemAlert error={accept.error} />
        {!me && (
          <>
            <TextInput label={t('auth.name')} autoComplete="name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(accept.error, 'name')} />
            <PasswordInput
              label={t('auth.password')}
              description={t('auth.passwordHint')}
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
              error={fieldError(accept.error, 'password')}
            />
          </>
        )}
        <Button type="submit" loading={accept.isPending} disabled={!token}>
          {t('auth.accept')}
        </Button>
        {!me && (
          <Anchor component={Link} to={`/login?next=${encodeURIComponent(`/invite?token=${token}`)}`} size="sm">
            {t('auth.loginLink')}
          </Anchor>
        )}
      </Stack>
    </form>
  );
}
