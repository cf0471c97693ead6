/** Ask for a password-reset link (the answer is the same whether the address exists). */
import { Alert, Anchor, Button, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';

import { api, unwrap } from '../../api/client';
import { ProblemAlert, fieldError } from '../../components/ProblemAlert';
import { useT } from '../../i18n';

export default function ForgotPassword() {
  const t = useT();
  const [email, setEmail] = useState('');
  useEffect(() => {
    document.title = `${t('auth.forgotTitle')} · Brain`;
  }, [t]);
  const request = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/auth/reset/request', { body: { email: email.trim() } })),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    request.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <Title order={1} size="h2">
          {t('auth.forgotTitle')}
        </Title>
        {request.isSuccess ? (
          <Alert color="green" role="status">
            {t('auth.forgotSent')}
          </Alert>
        ) : (
          <>
            <Text size="sm">{t('auth.forgotBody')}</Text>
            <ProblemAlert error={request.error} />
            <TextInput label={t('auth.email')} type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={fieldError(request.error, 'email')} required />
            <Button type="submit" loading={request.isPending}>
              {t('auth.sendLink')}
            </Button>
          </>
        )}
        <Anchor component={Link} to="/login" size="sm">
          {t('auth.loginLink')}
        </Anchor>
      </Stack>
    </form>
  );
}
