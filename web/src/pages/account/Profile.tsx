/** Your name, the language of your emails, and your password. */
import { Button, Group, PasswordInput, Select, Stack, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';

import { api, unwrap } from '../../api/client';
import { ME_KEY, useSession } from '../../auth/session';
import { PageHeader, PageSkeleton, Section } from '../../components/common';
import { ProblemAlert, fieldError } from '../../components/ProblemAlert';
import { LOCALES, useI18n, type Locale } from '../../i18n';
import { notifySuccess } from '../../lib/notify';

function ProfileForm({ name: initialName, locale: initialLocale, email }: { name: string; locale: Locale; email: string }) {
  const { t, setLocale } = useI18n();
  const client = useQueryClient();
  const [name, setName] = useState(initialName);
  const [locale, setEmailLocale] = useState<Locale>(initialLocale);
  const save = useMutation({
    mutationFn: () => unwrap(api.PATCH('/api/v1/auth/me', { body: { name, locale } })),
    onSuccess: (me) => {
      client.setQueryData(ME_KEY, me);
      setLocale(locale);
      notifySuccess(t('app.saved'));
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack maw={480}>
        <ProblemAlert error={save.error} />
        <TextInput label={t('auth.email')} value={email} readOnly />
        <TextInput label={t('auth.name')} value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(save.error, 'name')} required />
        <Select label={t('profile.locale')} data={LOCALES} value={locale} onChange={(v) => v && setEmailLocale(v as Locale)} allowDeselect={false} />
        <Group>
          <Button type="submit" loading={save.isPending}>
            {t('app.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function PasswordForm() {
  const { t } = useI18n();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const change = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/auth/password', { body: { current_password: current, new_password: next } })),
    onSuccess: () => {
      setCurrent('');
      setNext('');
      notifySuccess(t('profile.passwordChanged'));
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    change.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack maw={480}>
        <ProblemAlert error={change.error} />
        <PasswordInput label={t('auth.currentPassword')} autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.currentTarget.value)} required />
        <PasswordInput
          label={t('auth.newPassword')}
          description={t('auth.passwordHint')}
          autoComplete="new-password"
          value={next}
          onChange={(e) => setNext(e.currentTarget.value)}
          error={fieldError(change.error, 'new_password')}
          required
        />
        <Group>
          <Button type="submit" loading={change.isPending}>
            {t('profile.changePassword')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export default function Profile() {
  const { t } = useI18n();
  const { me } = useSession();
  if (!me) return <PageSkeleton />;
  return (
    <Stack>
      <PageHeader title={t('profile.title')} />
      <Section title={t('profile.title')}>
        <ProfileForm name={me.user.name} locale={me.user.locale === 'es' ? 'es' : 'en'} email={me.user.email} />
      </Section>
      <Section title={t('profile.password')}>
        <PasswordForm />
      </Section>
    </Stack>
  );
}
