/**
 * Authorizing a connection again, the same connection (its settings, history and data stay):
 * an OAuth platform sends the member to its authorization page (the callback comes back to
 * the connection); an API-key platform takes a new key in a dialog (the wizard's key field),
 * checked with the platform before it replaces the old one; a sandbox is active again at once.
 */
import { Button, Group, Modal, Stack, Text, type ButtonProps } from '@mantine/core';
import { useState, type FormEvent } from 'react';

import { fieldError, ProblemAlert } from '../../../components/ProblemAlert';
import { useT } from '../../../i18n';
import { notifyError, notifySuccess } from '../../../lib/notify';
import { useReauthorizeConnection, type Connection, type Provider } from '../api';
import { browser } from '../browser';
import { useConnT } from '../i18n';
import { ApiKeyField } from './ApiKeyField';

/** How a connection is authorized again. */
export type ReauthKind = 'sandbox' | 'oauth2' | 'api_key';

export function reauthKind(connection: Pick<Connection, 'sandbox'>, provider: Pick<Provider, 'auth'> | undefined): ReauthKind | null {
  if (connection.sandbox) return 'sandbox';
  if (!provider) return null;
  return provider.auth === 'oauth2' ? 'oauth2' : 'api_key';
}

/** Whether a connection can be authorized again (not while its first authorization is open). */
export function canReauthorize(connection: Pick<Connection, 'status'>): boolean {
  return connection.status !== 'pending' && connection.status !== 'revoked';
}

/** Whether the platform stopped accepting the connection (what the list offers it for). */
export function needsReauthorization(connection: Pick<Connection, 'status'>): boolean {
  return connection.status === 'needs_reauth' || connection.status === 'error';
}

function KeyDialog({ connection, providerName, opened, onClose }: { connection: Connection; providerName: string; opened: boolean; onClose: () => void }) {
  const t = useConnT();
  const appT = useT();
  const [key, setKey] = useState('');
  const [missing, setMissing] = useState(false);
  const reauthorize = useReauthorizeConnection(connection.id);
  const close = () => {
    setKey('');
    setMissing(false);
    reauthorize.reset();
    onClose();
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const value = key.trim();
    setMissing(!value);
    if (!value) return;
    reauthorize.mutate(
      { credentials: { api_key: value } },
      {
        onSuccess: () => {
          notifySuccess(t('reauth.done', { name: connection.name }));
          close();
        },
      },
    );
  };
  return (
    <Modal opened={opened} onClose={close} title={t('reauth.keyTitle', { name: connection.name })} closeButtonProps={{ 'aria-label': appT('app.close') }}>
      <form onSubmit={submit} noValidate>
        <Stack gap="md">
          <Text size="sm">{t('reauth.keyBody', { provider: providerName })}</Text>
          <ApiKeyField value={key} onChange={setKey} error={missing ? t('config.required') : fieldError(reauthorize.error, 'api_key')} autoFocus />
          <ProblemAlert error={reauthorize.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              {appT('app.cancel')}
            </Button>
            <Button type="submit" loading={reauthorize.isPending}>
              {t('reauth.button')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export function ReauthorizeButton({
  connection,
  provider,
  labelled = false,
  ...button
}: {
  connection: Connection;
  provider: Provider | undefined;
  /** Name the connection in the button's accessible name (a list of connections). */
  labelled?: boolean;
} & Pick<ButtonProps, 'size' | 'variant' | 'color'>) {
  const t = useConnT();
  const [keyOpen, setKeyOpen] = useState(false);
  const [redirecting, setRedirecting] = useState(false);
  const reauthorize = useReauthorizeConnection(connection.id);
  const kind = reauthKind(connection, provider);
  const providerName = provider?.name ?? connection.provider;
  const start = () => {
    if (kind === 'api_key') return setKeyOpen(true);
    reauthorize.mutate(
      {},
      {
        onSuccess: (answer) => {
          const url = answer.next_step?.type === 'oauth_redirect' ? answer.next_step.authorization_url : null;
          if (url) {
            setRedirecting(true);
            browser.assign(url);
          } else {
            notifySuccess(t('reauth.done', { name: connection.name }));
          }
        },
        onError: (error) => notifyError(error, t('reauth.failed')),
      },
    );
  };
  return (
    <>
      <Button
        {...button}
        onClick={start}
        loading={reauthorize.isPending || redirecting}
        disabled={kind === null}
        aria-label={labelled ? t('reauth.buttonLabel', { name: connection.name }) : undefined}
      >
        {redirecting ? t('reauth.redirecting', { provider: providerName }) : t('reauth.button')}
      </Button>
      {kind === 'api_key' && <KeyDialog connection={connection} providerName={providerName} opened={keyOpen} onClose={() => setKeyOpen(false)} />}
    </>
  );
}

/**
 * The connection page's part: why (when the platform stopped accepting it) and the button;
 * for a healthy connection, a quieter offer (not for a sandbox, which has no account or key).
 */
export function Reauthorize({ connection, provider }: { connection: Connection; provider: Provider | undefined }) {
  const t = useConnT();
  const kind = reauthKind(connection, provider);
  const needed = needsReauthorization(connection);
  if (!canReauthorize(connection) || (!needed && connection.sandbox)) return null;
  const hint = !needed ? t('reauth.anytime') : kind === 'api_key' ? t('reauth.hint.api_key') : kind === 'sandbox' ? t('reauth.hint.sandbox') : t('reauth.hint.oauth2', { provider: provider?.name ?? connection.provider });
  return (
    <Stack gap="xs" align="flex-start" data-testid="reauthorize">
      <Text size="sm" c={needed ? undefined : 'dimmed'}>
        {hint}
      </Text>
      <ReauthorizeButton connection={connection} provider={provider} variant={needed ? 'filled' : 'default'} />
    </Stack>
  );
}
