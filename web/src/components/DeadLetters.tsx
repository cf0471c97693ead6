/**
 * Dead letters (webhook messages that exhausted their retries) as a table with a replay
 * button each: the one list behind the webhook settings, a webhook endpoint's and a
 * connection's page, and the operator console (which adds the tenant and direction columns).
 * The caller brings the query (an infinite, cursor-paged list, filtered by the API) and the
 * replay mutation, so the table does not care which API the letters come from.
 */
import { Anchor, Button, Stack, Table, Text } from '@mantine/core';
import { useCallback } from 'react';
import { Link } from 'react-router-dom';

import { useI18n, type Locale } from '../i18n';
import { notifyError, notifySuccess } from '../lib/notify';
import { QueryError, TableScroll } from '../pages/brain/components/Panel';
import { EmptyState, LoadMore, TableSkeleton, useFormatDate } from './common';

const en = {
  'dead.caption': 'Dead letters, newest first',
  'dead.created': 'Given up',
  'dead.tenant': 'Tenant',
  'dead.direction': 'Direction',
  'dead.inbound': 'Received',
  'dead.outbound': 'Delivered',
  'dead.event': 'Event',
  'dead.attempts': 'Attempts',
  'dead.error': 'Last error',
  'dead.replay': 'Replay',
  'dead.replayLabel': 'Replay: {event}, {date}',
  'dead.replayTenantLabel': 'Replay: {event}, {tenant}, {date}',
  'dead.replayed': 'Replayed {date}',
  'dead.replayedToast': 'Replay queued: the message is sent again now, with a fresh retry schedule.',
  'dead.replayFailed': 'The replay failed',
  'dead.empty': 'No dead letters: every message was delivered or is still being retried.',
} as const;

export type DeadLetterKey = keyof typeof en;

const es: Record<DeadLetterKey, string> = {
  'dead.caption': 'Mensajes fallidos, los más recientes primero',
  'dead.created': 'Abandonado',
  'dead.tenant': 'Cliente',
  'dead.direction': 'Dirección',
  'dead.inbound': 'Recibido',
  'dead.outbound': 'Enviado',
  'dead.event': 'Evento',
  'dead.attempts': 'Intentos',
  'dead.error': 'Último error',
  'dead.replay': 'Reenviar',
  'dead.replayLabel': 'Reenviar: {event}, {date}',
  'dead.replayTenantLabel': 'Reenviar: {event}, {tenant}, {date}',
  'dead.replayed': 'Reenviado el {date}',
  'dead.replayedToast': 'Reenvío en cola: el mensaje se envía de nuevo ahora, con un nuevo calendario de reintentos.',
  'dead.replayFailed': 'El reenvío falló',
  'dead.empty': 'No hay mensajes fallidos: todos se entregaron o aún se están reintentando.',
};

const DICTIONARIES: Record<Locale, Record<DeadLetterKey, string>> = { en, es };

export function translateDeadLetter(locale: Locale, key: DeadLetterKey, values?: Record<string, string | number>): string {
  const template: string = DICTIONARIES[locale][key] ?? en[key];
  if (!values) return template;
  return template.replace(/\{(\w+)\}/g, (match, name: string) => (name in values ? String(values[name]) : match));
}

function useDeadLetterT() {
  const { locale } = useI18n();
  return useCallback((key: DeadLetterKey, values?: Record<string, string | number>) => translateDeadLetter(locale, key, values), [locale]);
}

/** What the table reads of a dead letter (the tenant's and the operator's API both have it). */
export interface DeadLetterRow {
  id: string;
  direction: 'inbound' | 'outbound';
  event_type: string;
  attempts: number;
  error: string;
  created_at: string;
  replayed_at: string | null;
}

/** A cursor-paged list of dead letters (a TanStack infinite query). */
export interface DeadLetterQuery<T extends DeadLetterRow> {
  data?: { pages: { data: T[] }[] };
  isLoading: boolean;
  isSuccess: boolean;
  error: unknown;
  refetch: () => unknown;
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => unknown;
}

/** Replaying one dead letter by id (a TanStack mutation). */
export interface DeadLetterReplay {
  mutate: (id: string, options?: { onSuccess?: () => void; onError?: (error: unknown) => void }) => void;
  isPending: boolean;
  variables?: string;
}

export interface DeadLettersProps<T extends DeadLetterRow> {
  query: DeadLetterQuery<T>;
  replay: DeadLetterReplay;
  /** A Tenant column (the operator console): the letter's organization and where it links. */
  tenant?: (letter: T) => { name: string; href: string };
  /** A Direction column (received from a provider, or delivered to an endpoint). */
  showDirection?: boolean;
  testId?: string;
  skeletonRows?: number;
}

export function DeadLetters<T extends DeadLetterRow>({ query, replay, tenant, showDirection = false, testId = 'dead-letters', skeletonRows = 3 }: DeadLettersProps<T>) {
  const t = useDeadLetterT();
  const formatDate = useFormatDate();
  const rows = query.data?.pages.flatMap((page) => page.data) ?? [];
  const minWidth = 640 + (tenant ? 180 : 0) + (showDirection ? 120 : 0);
  return (
    <Stack gap="sm">
      {query.isLoading && <TableSkeleton rows={skeletonRows} />}
      {Boolean(query.error) && <QueryError error={query.error} onRetry={() => void query.refetch()} />}
      {query.isSuccess && rows.length === 0 && <EmptyState>{t('dead.empty')}</EmptyState>}
      {rows.length > 0 && (
        <TableScroll label={t('dead.caption')}>
          <Table withTableBorder miw={minWidth} data-testid={testId}>
            <caption className="visually-hidden">{t('dead.caption')}</caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('dead.created')}</Table.Th>
                {tenant && <Table.Th scope="col">{t('dead.tenant')}</Table.Th>}
                {showDirection && <Table.Th scope="col">{t('dead.direction')}</Table.Th>}
                <Table.Th scope="col">{t('dead.event')}</Table.Th>
                <Table.Th scope="col" ta="right">
                  {t('dead.attempts')}
                </Table.Th>
                <Table.Th scope="col">{t('dead.error')}</Table.Th>
                <Table.Th scope="col">
                  <span className="visually-hidden">{t('dead.replay')}</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((letter) => {
                const owner = tenant?.(letter);
                const created = formatDate(letter.created_at);
                return (
                  <Table.Tr key={letter.id}>
                    <Table.Td>{created}</Table.Td>
                    {owner && (
                      <Table.Td>
                        <Anchor component={Link} to={owner.href} size="sm">
                          {owner.name}
                        </Anchor>
                      </Table.Td>
                    )}
                    {showDirection && <Table.Td>{letter.direction === 'inbound' ? t('dead.inbound') : t('dead.outbound')}</Table.Td>}
                    <Table.Td>
                      <code>{letter.event_type}</code>
                    </Table.Td>
                    <Table.Td ta="right">{letter.attempts}</Table.Td>
                    <Table.Td maw={360}>
                      <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                        {letter.error}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      {letter.replayed_at ? (
                        <Text size="xs" c="dimmed">
                          {t('dead.replayed', { date: formatDate(letter.replayed_at) })}
                        </Text>
                      ) : (
                        <Button
                          size="xs"
                          variant="light"
                          loading={replay.isPending && replay.variables === letter.id}
                          onClick={() =>
                            replay.mutate(letter.id, {
                              onSuccess: () => notifySuccess(t('dead.replayedToast')),
                              onError: (error) => notifyError(error, t('dead.replayFailed')),
                            })
                          }
                          aria-label={
                            owner
                              ? t('dead.replayTenantLabel', { event: letter.event_type, tenant: owner.name, date: created })
                              : t('dead.replayLabel', { event: letter.event_type, date: created })
                          }
                        >
                          {t('dead.replay')}
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </TableScroll>
      )}
      <LoadMore query={query} />
    </Stack>
  );
}
