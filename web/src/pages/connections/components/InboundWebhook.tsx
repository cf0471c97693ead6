/**
 * Real-time updates for platforms that push webhooks (Shopify, HubSpot): the member gives the
 * platform app's signing secret; Brain answers with the address to paste into the platform.
 * The address (and a generated secret, for Standard Webhooks senders) is shown once here.
 */
import { Button, Code, CopyButton, Group, PasswordInput, Stack, Text } from '@mantine/core';
import { useState, type FormEvent } from 'react';

import { fieldError, ProblemAlert } from '../../../components/ProblemAlert';
import { useT } from '../../../i18n';
import { notifySuccess } from '../../../lib/notify';
import { useSetInboundSecret, type Connection, type InboundSecret } from '../api';
import { useConnT } from '../i18n';

/** Providers whose own webhook signatures Brain verifies (the secret is the app's). */
export const INBOUND_PROVIDERS: ReadonlySet<string> = new Set(['shopify', 'hubspot']);

export function supportsInbound(provider: string): boolean {
  return INBOUND_PROVIDERS.has(provider);
}

function Copyable({ label, value, testId }: { label: string; value: string; testId: string }) {
  const appT = useT();
  return (
    <Stack gap={4}>
      <Text size="sm" fw={600}>
        {label}
      </Text>
      <Group gap="xs" wrap="nowrap" align="flex-start">
        <Code block className="mono" style={{ flex: 1, overflowWrap: 'anywhere', whiteSpace: 'pre-wrap' }} data-testid={testId}>
          {value}
        </Code>
        <CopyButton value={value}>
          {({ copied, copy }) => (
            <Button variant="light" size="xs" onClick={copy} aria-label={`${copied ? appT('app.copied') : appT('app.copy')}: ${label}`}>
              {copied ? appT('app.copied') : appT('app.copy')}
            </Button>
          )}
        </CopyButton>
      </Group>
    </Stack>
  );
}

export function InboundWebhook({ connection, providerName }: { connection: Connection; providerName: string }) {
  const t = useConnT();
  const [secret, setSecret] = useState('');
  const [result, setResult] = useState<InboundSecret | null>(null);
  const save = useSetInboundSecret(connection.id);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!secret.trim()) return;
    save.mutate(secret.trim(), {
      onSuccess: (saved) => {
        setSecret('');
        setResult(saved);
        notifySuccess(t('inbound.saved', { name: providerName }));
      },
    });
  };
  return (
    <Stack gap="md">
      <Text size="sm">{t('inbound.intro', { name: providerName })}</Text>
      <form onSubmit={submit} noValidate>
        <Group align="flex-end" wrap="wrap">
          <PasswordInput
            label={t('inbound.secretLabel', { name: providerName })}
            description={t('inbound.secretHint', { name: providerName })}
            value={secret}
            onChange={(event) => setSecret(event.currentTarget.value)}
            error={fieldError(save.error, 'secret')}
            autoComplete="off"
            w={{ base: '100%', sm: 380 }}
          />
          <Button type="submit" variant="light" loading={save.isPending} disabled={secret.trim().length < 8}>
            {t('inbound.save')}
          </Button>
        </Group>
      </form>
      <ProblemAlert error={save.error} />
      {result && (
        <Stack gap="sm" role="status">
          <Copyable label={t('inbound.url')} value={result.url} testId="inbound-url" />
          {result.secret && (
            <>
              <Copyable label={t('inbound.secret')} value={result.secret} testId="inbound-secret" />
              <Text size="xs" c="dimmed">
                {t('inbound.secretOnce')}
              </Text>
            </>
          )}
        </Stack>
      )}
    </Stack>
  );
}
