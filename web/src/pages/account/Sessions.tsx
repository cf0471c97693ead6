/** Your live sessions (device, IP, when) with sign-out per session or for all others. */
import { Badge, Button, Group, Stack, Table, Text } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router-dom';

import { api, unwrap } from '../../api/client';
import { ME_KEY } from '../../auth/session';
import { EmptyState, PageHeader, TableSkeleton, useFormatDate } from '../../components/common';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useT } from '../../i18n';
import { notifyError, notifySuccess } from '../../lib/notify';

const KEY = ['sessions'] as const;

export default function Sessions() {
  const t = useT();
  const format = useFormatDate();
  const client = useQueryClient();
  const navigate = useNavigate();
  const sessions = useQuery({ queryKey: KEY, queryFn: () => unwrap(api.GET('/api/v1/auth/sessions', { params: { query: { limit: 200 } } })) });
  const revoke = useMutation({
    mutationFn: ({ id }: { id: string; current: boolean }) =>
      unwrap(api.DELETE('/api/v1/auth/sessions/{session_id}', { params: { path: { session_id: id } } })),
    onSuccess: async (_, { current }) => {
      notifySuccess(t('sessions.revoked'));
      if (current) {
        client.clear();
        client.setQueryData(ME_KEY, null);
        navigate('/login');
        return;
      }
      await client.invalidateQueries({ queryKey: KEY });
    },
    onError: (error) => notifyError(error, t('app.errorTitle')),
  });
  const revokeOthers = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/auth/sessions')),
    onSuccess: async () => {
      notifySuccess(t('sessions.othersRevoked'));
      await client.invalidateQueries({ queryKey: KEY });
    },
    onError: (error) => notifyError(error, t('app.errorTitle')),
  });
  const rows = sessions.data?.data ?? [];
  const others = rows.filter((row) => !row.current);
  return (
    <Stack>
      <PageHeader
        title={t('sessions.title')}
        subtitle={t('sessions.subtitle')}
        actions={
          others.length > 0 && (
            <Button variant="outline" color="red" onClick={() => revokeOthers.mutate()} loading={revokeOthers.isPending}>
              {t('sessions.revokeOthers')}
            </Button>
          )
        }
      />
      {sessions.isLoading && <TableSkeleton />}
      {sessions.isError && <ProblemAlert error={sessions.error} />}
      {sessions.isSuccess && (
        <Table.ScrollContainer minWidth={560}>
          <Table striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('sessions.device')}</Table.Th>
                <Table.Th>{t('sessions.ip')}</Table.Th>
                <Table.Th>{t('sessions.created')}</Table.Th>
                <Table.Th>{t('sessions.lastSeen')}</Table.Th>
                <Table.Th>
                  <span className="visually-hidden">{t('sessions.revoke')}</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((row) => (
                <Table.Tr key={row.id} data-testid="session-row">
                  <Table.Td>
                    <Group gap="xs">
                      <Text size="sm">{row.device}</Text>
                      {row.current && (
                        <Badge variant="light" color="green">
                          {t('sessions.current')}
                        </Badge>
                      )}
                    </Group>
                  </Table.Td>
                  <Table.Td>{row.ip ?? '—'}</Table.Td>
                  <Table.Td>{format(row.created_at)}</Table.Td>
                  <Table.Td>{format(row.last_seen_at)}</Table.Td>
                  <Table.Td>
                    <Button size="xs" variant="subtle" color="red" onClick={() => revoke.mutate({ id: row.id, current: row.current })} aria-label={`${t('sessions.revoke')}: ${row.device}`}>
                      {t('sessions.revoke')}
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {sessions.isSuccess && others.length === 0 && <EmptyState>{t('sessions.onlyThis')}</EmptyState>}
    </Stack>
  );
}
