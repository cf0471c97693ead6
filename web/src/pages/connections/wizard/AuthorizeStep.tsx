/**
 * Step 2: authorize — the account details the provider needs, then either the OAuth redirect
 * (the create call returns the provider's authorization URL) or the API key; or, for any
 * provider, sandbox data (ready at once).
 */
import { Alert, Button, Divider, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';

import { ApiError } from '../../../api/problem';
import { fieldError, ProblemAlert } from '../../../components/ProblemAlert';
import { useCreateConnection, useDeleteConnection, useUpdateConnection, type Connection, type Provider } from '../api';
import { browser } from '../browser';
import { buildConfig, configFields, initialConfigValues, type ConfigError, type ConfigValues } from '../config';
import { ApiKeyField } from '../components/ApiKeyField';
import { ConfigFields } from '../components/ConfigFields';
import { useConnT } from '../i18n';

/** The API's messages for `config` fields (`loc` … `config`, `<name>`). */
function configApiErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError)) return {};
  const out: Record<string, string> = {};
  for (const e of error.problem.errors ?? []) {
    const at = e.loc.indexOf('config');
    const name = at >= 0 ? e.loc[at + 1] : undefined;
    if (typeof name === 'string') out[name] = e.message;
  }
  return out;
}

export function AuthorizeStep({
  provider,
  pending,
  onCreated,
  onAuthorized,
  onDiscarded,
}: {
  provider: Provider;
  /** A connection of this provider still waiting for its authorization (resumed). */
  pending: Connection | null;
  onCreated: (connection: Connection) => void;
  onAuthorized: (connection: Connection) => void;
  onDiscarded: () => void;
}) {
  const t = useConnT();
  const fields = configFields(provider.config_schema);
  const [values, setValues] = useState<ConfigValues>(() => initialConfigValues(fields));
  const [errors, setErrors] = useState<Record<string, ConfigError>>({});
  const [apiKey, setApiKey] = useState('');
  const [keyMissing, setKeyMissing] = useState(false);
  const [redirecting, setRedirecting] = useState(false);
  const create = useCreateConnection();
  const sandbox = useCreateConnection();
  const update = useUpdateConnection(pending?.id ?? '');
  const discard = useDeleteConnection(pending?.id ?? '');
  const oauth = provider.auth === 'oauth2';

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const key = apiKey.trim();
    setKeyMissing(!oauth && !key);
    if (pending) {
      // An API-key connection created earlier: only the key is missing.
      if (key) update.mutate({ credentials: { api_key: key } }, { onSuccess: (connection) => connection.status !== 'pending' && onAuthorized(connection) });
      return;
    }
    const built = buildConfig(fields, values);
    setErrors(built.errors);
    if (Object.keys(built.errors).length > 0 || (!oauth && !key)) return;
    create.mutate(
      { provider: provider.id, sandbox: false, config: built.config, ...(oauth ? {} : { credentials: { api_key: key } }) },
      {
        onSuccess: (connection) => {
          const step = connection.next_step;
          if (step?.type === 'oauth_redirect' && step.authorization_url) {
            onCreated(connection);
            setRedirecting(true);
            browser.assign(step.authorization_url);
          } else if (step?.type === 'api_key' || connection.status === 'pending') {
            onCreated(connection);
          } else {
            onAuthorized(connection);
          }
        },
      },
    );
  };

  const startSandbox = () => {
    const start = () => sandbox.mutate({ provider: provider.id, sandbox: true }, { onSuccess: onAuthorized });
    // A half-finished attempt is not left behind next to the sandbox connection.
    if (pending) discard.mutate(false, { onSettled: start });
    else start();
  };

  const pendingOauth = pending !== null && oauth;
  return (
    <Stack gap="lg">
      {pendingOauth ? (
        <Alert color="yellow" variant="light">
          <Stack gap="xs" align="flex-start">
            <Text size="sm">{t('authorize.pendingOauth', { name: provider.name })}</Text>
            <Button size="xs" variant="default" loading={discard.isPending} onClick={() => discard.mutate(false, { onSuccess: onDiscarded })}>
              {t('authorize.restart')}
            </Button>
            <ProblemAlert error={discard.error} />
          </Stack>
        </Alert>
      ) : (
        <form onSubmit={submit} noValidate>
          <Stack gap="md">
            <Text size="sm">{oauth ? t('authorize.intro.oauth2', { name: provider.name }) : t('authorize.intro.api_key', { name: provider.name })}</Text>
            {fields.length > 0 && !pending && (
              <Stack gap="xs">
                <Title order={3} size="h5">
                  {t('authorize.settings')}
                </Title>
                <ConfigFields fields={fields} values={values} errors={errors} apiErrors={configApiErrors(create.error)} onChange={setValues} />
              </Stack>
            )}
            {!oauth && (
              <ApiKeyField value={apiKey} onChange={setApiKey} error={keyMissing ? t('config.required') : fieldError(create.error ?? update.error, 'api_key')} />
            )}
            <ProblemAlert error={create.error ?? update.error} />
            <Group>
              <Button type="submit" loading={create.isPending || update.isPending || redirecting}>
                {oauth ? (redirecting ? t('authorize.redirecting', { name: provider.name }) : t('authorize.oauth', { name: provider.name })) : t('authorize.connect')}
              </Button>
            </Group>
          </Stack>
        </form>
      )}
      <Divider label={t('authorize.or')} labelPosition="center" />
      <Paper withBorder p="md" radius="md">
        <Stack gap="xs" align="flex-start">
          <Title order={3} size="h5">
            {t('authorize.sandboxTitle')}
          </Title>
          <Text size="sm">{t('authorize.sandboxBody', { name: provider.name })}</Text>
          <ProblemAlert error={sandbox.error} />
          <Button variant="light" onClick={startSandbox} loading={sandbox.isPending || (discard.isPending && !pendingOauth)}>
            {t('authorize.sandbox')}
          </Button>
        </Stack>
      </Paper>
    </Stack>
  );
}
