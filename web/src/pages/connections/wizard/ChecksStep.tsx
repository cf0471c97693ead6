/**
 * Step 3: the connection test as a checklist. Failures say how to fix them; an API key can be
 * replaced right here, and an OAuth connection can be authorized again (which discards this
 * attempt). Continue once everything passed — or anyway, knowingly.
 */
import { Button, Group, PasswordInput, Stack, Text } from '@mantine/core';
import { useEffect, useRef, useState, type FormEvent } from 'react';

import { TableSkeleton } from '../../../components/common';
import { fieldError, ProblemAlert } from '../../../components/ProblemAlert';
import { useDeleteConnection, useTestConnection, useUpdateConnection, type Connection, type Provider } from '../api';
import { checklist, needsNewCredentials } from '../checks';
import { Checklist } from '../components/Checklist';
import { useConnT } from '../i18n';

export function ChecksStep({
  connection,
  provider,
  onContinue,
  onDiscarded,
}: {
  connection: Connection;
  provider: Provider;
  onContinue: () => void;
  onDiscarded: () => void;
}) {
  const t = useConnT();
  const test = useTestConnection(connection.id);
  const update = useUpdateConnection(connection.id);
  const discard = useDeleteConnection(connection.id);
  const [apiKey, setApiKey] = useState('');
  const started = useRef(false);
  const run = test.mutate;
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    run();
  }, [run]);

  const result = test.data;
  const items = result ? checklist(result) : [];
  const credentialsFix = result !== undefined && !result.ok && needsNewCredentials(items) && !connection.sandbox;
  const saveKey = (event: FormEvent) => {
    event.preventDefault();
    if (!apiKey.trim()) return;
    update.mutate({ credentials: { api_key: apiKey.trim() } }, { onSuccess: () => {
      setApiKey('');
      test.mutate();
    } });
  };

  return (
    <Stack gap="md">
      <Text size="sm">{t('checks.intro')}</Text>
      <div aria-live="polite">{test.isPending && <Text size="sm">{t('checks.running')}</Text>}</div>
      {test.isPending && <TableSkeleton rows={4} />}
      <ProblemAlert error={test.error} />
      {result && !test.isPending && <Checklist test={result} auth={provider.auth} sandbox={connection.sandbox} scopes={provider.scopes} />}
      {credentialsFix && provider.auth === 'api_key' && (
        <form onSubmit={saveKey} noValidate>
          <Group align="flex-end" wrap="wrap">
            <PasswordInput
              label={t('checks.newKey')}
              value={apiKey}
              onChange={(event) => setApiKey(event.currentTarget.value)}
              error={fieldError(update.error, 'api_key')}
              autoComplete="off"
              w={{ base: '100%', sm: 320 }}
            />
            <Button type="submit" variant="light" loading={update.isPending} disabled={!apiKey.trim()}>
              {t('checks.saveKey')}
            </Button>
          </Group>
          <ProblemAlert error={update.error} />
        </form>
      )}
      {credentialsFix && provider.auth === 'oauth2' && (
        <Stack gap={4} align="flex-start">
          <Button variant="light" loading={discard.isPending} onClick={() => discard.mutate(false, { onSuccess: onDiscarded })}>
            {t('checks.authorizeAgain')}
          </Button>
          <Text size="xs" c="dimmed">
            {t('checks.authorizeAgainHint')}
          </Text>
          <ProblemAlert error={discard.error} />
        </Stack>
      )}
      <Group>
        {result?.ok ? (
          <Button onClick={onContinue}>{t('wizard.continue')}</Button>
        ) : (
          <>
            <Button variant="default" onClick={() => test.mutate()} loading={test.isPending}>
              {t('checks.again')}
            </Button>
            {(result || test.error) && (
              <Button variant="subtle" onClick={onContinue}>
                {t('checks.continueAnyway')}
              </Button>
            )}
          </>
        )}
      </Group>
    </Stack>
  );
}
