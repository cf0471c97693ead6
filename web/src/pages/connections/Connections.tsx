/**
 * The connections page: every connected platform with its health, last and next sync (and,
 * for one the platform stopped accepting, authorizing it again from here), and the way to
 * connect another. The OAuth callback comes back here with `?error=<slug>` when
 * the authorization failed; that is shown as an alert (dismissing it clears the address).
 */
import { Alert, Anchor, Button, Group, Stack, Table, Text } from '@mantine/core';
import { Link } from 'react-router-dom';

import { useSession } from '../../auth/session';
import { EmptyState, LoadMore, PageHeader, TableSkeleton, useFormatDate } from '../../components/common';
import { QueryError, TableScroll } from '../brain/components/Panel';
import { useConnections, useProviders } from './api';
import { OauthErrorAlert } from './components/OauthErrorAlert';
import { needsReauthorization, ReauthorizeButton } from './components/Reauthorize';
import { ConnectionStatusBadge, SandboxBadge } from './components/StatusBadge';
import { useConnT } from './i18n';

export default function Connections() {
  const t = useConnT();
  const { can } = useSession();
  const formatDate = useFormatDate();
  const list = useConnections();
  const providers = useProviders();
  const rows = list.data?.pages.flatMap((page) => page.data) ?? [];
  const providerOf = (id: string) => providers.data?.find((p) => p.id === id);
  const providerName = (id: string) => providerOf(id)?.name ?? id;
  const attention = rows.filter(needsReauthorization).length;
  const writable = can('integrations:write');
  const actions = writable && attention > 0;
  return (
    <Stack>
      <PageHeader
        title={t('list.title')}
        subtitle={t('list.subtitle')}
        actions={
          writable && (
            <Button component={Link} to="/connections/new">
              {t('list.connect')}
            </Button>
          )
        }
      />
      <OauthErrorAlert retryTo={writable ? '/connections/new' : undefined} />
      {attention > 0 && (
        <Alert color="orange" variant="light">
          {t('list.needsAttention', { n: attention })}
        </Alert>
      )}
      {list.isLoading && <TableSkeleton rows={4} />}
      {list.error && <QueryError error={list.error} onRetry={() => void list.refetch()} />}
      {list.isSuccess && rows.length === 0 && (
        <EmptyState>
          <Stack align="center" gap="sm">
            <span>{writable ? t('list.empty') : t('list.emptyReadOnly')}</span>
            {writable && (
              <Button component={Link} to="/connections/new">
                {t('list.connect')}
              </Button>
            )}
          </Stack>
        </EmptyState>
      )}
      {rows.length > 0 && (
        <TableScroll label={t('list.caption')}>
          <Table withTableBorder miw={720} verticalSpacing="sm">
            <caption className="visually-hidden">{t('list.caption')}</caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('list.name')}</Table.Th>
                <Table.Th scope="col">{t('list.provider')}</Table.Th>
                <Table.Th scope="col">{t('list.status')}</Table.Th>
                <Table.Th scope="col">{t('list.lastSync')}</Table.Th>
                <Table.Th scope="col">{t('list.nextSync')}</Table.Th>
                {actions && (
                  <Table.Th scope="col">
                    <span className="visually-hidden">{t('list.actions')}</span>
                  </Table.Th>
                )}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((connection) => (
                <Table.Tr key={connection.id}>
                  <Table.Th scope="row" fw={500}>
                    <Group gap="xs" wrap="nowrap">
                      <Anchor component={Link} to={`/connections/${connection.id}`} fw={600}>
                        {connection.name}
                      </Anchor>
                      {connection.sandbox && <SandboxBadge />}
                    </Group>
                    {connection.last_error && (
                      <Text size="xs" c="dimmed" lineClamp={1} title={connection.last_error}>
                        {connection.last_error}
                      </Text>
                    )}
                  </Table.Th>
                  <Table.Td>{providerName(connection.provider)}</Table.Td>
                  <Table.Td>
                    <ConnectionStatusBadge status={connection.status} />
                  </Table.Td>
                  <Table.Td>{formatDate(connection.last_sync_at)}</Table.Td>
                  <Table.Td>{connection.next_sync_at ? formatDate(connection.next_sync_at) : '—'}</Table.Td>
                  {actions && (
                    <Table.Td>
                      {needsReauthorization(connection) && (
                        <ReauthorizeButton connection={connection} provider={providerOf(connection.provider)} labelled size="xs" variant="light" color="orange" />
                      )}
                    </Table.Td>
                  )}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TableScroll>
      )}
      <LoadMore query={list} />
    </Stack>
  );
}
