/** Choose a new password with the emailed `token`; every session of the account ends. */
import { Alert, Anchor, Button, PasswordInput, Stack, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';

import { api, unwrap } from '../../api/client';
import { ME_KEY } from '../../auth/session';
import { ProblemAlert, fieldError } from '../../components/ProblemAlert';
import { useT } from '../../i18n';

export default function ResetPassword() {
  const t = useT();
  const client = useQueryClient();
  const [params] = useSearchParams();
  const token = params.get('token');
  const [password, setPassword] = useState('');
  useEffect(() => {
    document.title = `${t('auth.resetTitle')} · Brain`;
  }, [t]);
  const reset = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/auth/reset', { body: { token: token ?? '', new_password: password } })),
    onSuccess: () => client.setQueryData(ME_KEY, null),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    reset.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <Title order={1} size="h2">
          {t('auth.resetTitle')}
        </Title>
        {!token ? (
          <Alert color="yellow">{t('auth.resetMissing')}</Alert>
        ) : reset.isSuccess ? (
          <Alert color="green" role="status">
            {t('auth.resetDone')}
          </Alert>
        ) : (
          <>
            <ProblemAlert error={reset.error} />
            <PasswordInput
              label={t('auth.newPassword')}
              description={t('auth.passwordHint')}
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
              error={fieldError(reset.error, 'new_password')}
              required
            />
            <Button type="submit" loading={reset.isPending}>
              {t('app.save')}
            </Button>
          </>
        )}
        <Anchor component={Link} to={token ? '/login' : '/forgot-password'} size="sm">
          {token ? t('auth.loginLink') : t('auth.forgotTitle')}
        </Anchor>
      </Stack>
    </form>
  );
}
