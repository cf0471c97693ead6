/** Sign up: creates the user and their organization, logs in, and emails a verify link. */
import { Anchor, Button, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';

import { api, unwrap } from '../../api/client';
import { ME_KEY } from '../../auth/session';
import { ProblemAlert, fieldError } from '../../components/ProblemAlert';
import { useI18n } from '../../i18n';

export default function Signup() {
  const { t, locale } = useI18n();
  const client = useQueryClient();
  const [form, setForm] = useState({ name: '', email: '', password: '', organization_name: '' });
  const set = (key: keyof typeof form) => (event: React.ChangeEvent<HTMLInputElement>) =>
    setForm({ ...form, [key]: event.currentTarget.value });
  useEffect(() => {
    document.title = `${t('auth.signupTitle')} · Brain`;
  }, [t]);
  const register = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/auth/register', {
          body: { ...form, email: form.email.trim(), locale },
        }),
      ),
    // Logged in now: the guest guard moves on to the app, which shows the verify banner.
    onSuccess: () => client.invalidateQueries({ queryKey: ME_KEY }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    register.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <Title order={1} size="h2">
          {t('auth.signupTitle')}
        </Title>
        <ProblemAlert error={register.error} />
        <TextInput label={t('auth.name')} autoComplete="name" value={form.name} onChange={set('name')} error={fieldError(register.error, 'name')} required />
        <TextInput label={t('auth.email')} type="email" autoComplete="email" value={form.email} onChange={set('email')} error={fieldError(register.error, 'email')} required />
        <PasswordInput
          label={t('auth.password')}
          description={t('auth.passwordHint')}
          autoComplete="new-password"
          value={form.password}
          onChange={set('password')}
          error={fieldError(register.error, 'password')}
          required
        />
        <TextInput
          label={t('auth.orgName')}
          autoComplete="organization"
          value={form.organization_name}
          onChange={set('organization_name')}
          error={fieldError(register.error, 'organization_name')}
          required
        />
        <Button type="submit" loading={register.isPending}>
          {t('auth.signup')}
        </Button>
        <Text size="sm">
          {t('auth.haveAccount')}{' '}
          <Anchor component={Link} to="/login">
            {t('auth.loginLink')}
          </Anchor>
        </Text>
      </Stack>
    </form>
  );
}
