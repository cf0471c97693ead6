/**
 * Dead letters (messages that exhausted their retries) with a replay button each; inbound
 * (platform events Brain could not process) or outbound (events it could not deliver).
 */
import { Button, Stack, Table, Text } from '@mantine/core';

import { EmptyState, LoadMore, TableSkeleton, useFormatDate } from '../../../components/common';
import { useT } from '../../../i18n';
import { notifyError, notifySuccess } from '../../../lib/notify';
import { QueryError, TableScroll } from '../../brain/components/Panel';
import { useDeadLetters, useReplayDeadLetter, type DeadLetter, type Direction } from '../api';
import { useHookT } from '../i18n';

export function DeadLetters({ direction, filter }: { direction: Direction; filter?: (letter: DeadLetter) => boolean }) {
  const t = useHookT();
  const appT = useT();
  const formatDate = useFormatDate();
  const letters = useDeadLetters(direction);
  const replay = useReplayDeadLetter();
  const all = letters.data?.pages.flatMap((page) => page.data) ?? [];
  const rows = filter ? all.filter(filter) : all;
  return (
    <Stack gap="sm">
      {letters.isLoading && <TableSkeleton rows={2} />}
      {letters.error && <QueryError error={letters.error} onRetry={() => void letters.refetch()} />}
      {letters.isSuccess && rows.length === 0 && <EmptyState>{t('dead.empty')}</EmptyState>}
      {rows.length > 0 && (
        <TableScroll label={t('dead.caption')}>
          <Table withTableBorder miw={640} data-testid={`dead-letters-${direction}`}>
            <caption className="visually-hidden">{t('dead.caption')}</caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('dead.created')}</Table.Th>
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
              {rows.map((letter) => (
                <Table.Tr key={letter.id}>
                  <Table.Td>{formatDate(letter.created_at)}</Table.Td>
                  <Table.Td>
                    <code>{letter.event_type}</code>
                  </Table.Td>
                  <Table.Td ta="right">{letter.attempts}</Table.Td>
                  <Table.Td>
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
                            onError: (error) => notifyError(error, appT('app.errorTitle')),
                          })
                        }
                        aria-label={`${t('dead.replay')}: ${letter.event_type}, ${formatDate(letter.created_at)}`}
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
