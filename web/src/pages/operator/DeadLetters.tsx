/**
 * Operator console, dead letters: webhook messages (received from providers or delivered to
 * tenants' endpoints) that exhausted their retries, across every tenant, newest first; by
 * direction and replay state; each one can be replayed with a fresh retry schedule.
 */
import { Anchor, Button, Group, SegmentedControl, Stack, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router-dom';

import { EmptyState, LoadMore, PageHeader, TableSkeleton } from '../../components/common';
import { useT } from '../../i18n';
import { NoPermission } from '../../layout/Status';
import { notifyError, notifySuccess } from '../../lib/notify';
import { QueryError, TableScroll } from '../brain/components/Panel';
import { Tag } from '../brain/components/Tag';
import { useDeadLetters, useReplayDeadLetter, useTenants } from './api';
import { forbidden, OperatorOnly } from './components';
import { useOperatorFormats, useOperatorT } from './i18n';

type Direction = 'all' | 'inbound' | 'outbound';
type Replayed = 'all' | 'waiting' | 'replayed';

function DeadLettersPage() {
  const t = useOperatorT();
  const appT = useT();
  const f = useOperatorFormats();
  const [direction, setDirection] = useState<Direction>('all');
  const [replayed, setReplayed] = useState<Replayed>('waiting');
  const letters = useDeadLetters({
    direction: direction === 'all' ? undefined : direction,
    replayed: replayed === 'all' ? undefined : replayed === 'replayed',
  });
  // Tenant names for the organization ids (the first page of tenants: the common case).
  const tenants = useTenants({});
  const names = new Map((tenants.data?.pages.flatMap((p) => p.data) ?? []).map((tenant) => [tenant.id, tenant.name]));
  const replay = useReplayDeadLetter();
  const rows = letters.data?.pages.flatMap((page) => page.data) ?? [];
  if (forbidden(letters.error)) return <NoPermission />;
  return (
    <Stack>
      <PageHeader title={t('dead.title')} subtitle={t('dead.subtitle')} />
      <Group gap="md" wrap="wrap">
        <SegmentedControl
          aria-label={t('dead.direction')}
          value={direction}
          onChange={(value) => setDirection(value as Direction)}
          data={[
            { value: 'all', label: t('dead.all') },
            { value: 'inbound', label: t('dead.inbound') },
            { value: 'outbound', label: t('dead.outbound') },
          ]}
        />
        <SegmentedControl
          aria-label={t('dead.status')}
          value={replayed}
          onChange={(value) => setReplayed(value as Replayed)}
          data={[
            { value: 'waiting', label: t('dead.notReplayed') },
            { value: 'replayed', label: t('dead.replayed') },
            { value: 'all', label: t('dead.all') },
          ]}
        />
      </Group>
      {letters.isLoading && <TableSkeleton rows={5} />}
      {letters.error && <QueryError error={letters.error} onRetry={() => void letters.refetch()} />}
      {letters.isSuccess && rows.length === 0 && <EmptyState>{t('dead.empty')}</EmptyState>}
      {rows.length > 0 && (
        <TableScroll label={t('dead.caption')}>
          <Table withTableBorder miw={960} data-testid="dead-letters-table">
            <caption style={{ captionSide: 'top', textAlign: 'left' }}>
              <Text size="sm" c="dimmed" component="span">
                {t('dead.caption')}
              </Text>
            </caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('dead.failed')}</Table.Th>
                <Table.Th scope="col">{t('dead.tenant')}</Table.Th>
                <Table.Th scope="col">{t('dead.direction')}</Table.Th>
                <Table.Th scope="col">{t('dead.event')}</Table.Th>
                <Table.Th scope="col" ta="right">
                  {t('dead.attempts')}
                </Table.Th>
                <Table.Th scope="col">{t('dead.error')}</Table.Th>
                <Table.Th scope="col">{t('dead.status')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((letter) => (
                <Table.Tr key={letter.id}>
                  <Table.Th scope="row" fw={500}>
                    {f.moment(letter.created_at)}
                  </Table.Th>
                  <Table.Td>
                    <Anchor component={Link} to={`/operator/tenants/${letter.organization_id}`} size="sm">
                      {names.get(letter.organization_id) ?? letter.organization_id}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{letter.direction === 'inbound' ? t('dead.inbound') : t('dead.outbound')}</Table.Td>
                  <Table.Td>
                    <Text size="sm" className="mono">
                      {letter.event_type}
                    </Text>
                  </Table.Td>
                  <Table.Td ta="right">{f.count(letter.attempts)}</Table.Td>
                  <Table.Td maw={320}>
                    <Text size="xs" style={{ overflowWrap: 'anywhere' }}>
                      {letter.error}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    {letter.replayed_at ? (
                      <Tag color="green" variant="light" title={f.moment(letter.replayed_at)}>
                        {t('dead.replayed')}
                      </Tag>
                    ) : (
                      <Button
                        size="xs"
                        variant="light"
                        loading={replay.isPending && replay.variables === letter.id}
                        onClick={() =>
                          replay.mutate(letter.id, {
                            onSuccess: () => notifySuccess(t('dead.replayedToast')),
                            onError: (error) => notifyError(error, appT('app.errorTitle')),
                          })
                        }
                        aria-label={t('dead.replayLabel', { event: letter.event_type, tenant: names.get(letter.organization_id) ?? letter.organization_id })}
                      >
                        {t('dead.replay')}
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TableScroll>
      )}
      <LoadMore query={letters} />
    </Stack>
  );
}

export default function DeadLetters() {
  return (
    <OperatorOnly>
      <DeadLettersPage />
    </OperatorOnly>
  );
}
