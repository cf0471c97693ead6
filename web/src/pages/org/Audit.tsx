/** The audit log with filters (action, outcome, period) and cursor pagination ("load more"). */
import { Badge, Button, Group, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';

import { api, unwrap } from '../../api/client';
import { useOrgId } from '../../auth/session';
import { EmptyState, PageHeader, Section, TableSkeleton, useFormatDate } from '../../components/common';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useT } from '../../i18n';

type Outcome = 'success' | 'failure' | 'denied';
interface Filters {
  action: string;
  outcome: Outcome | null;
  from: string;
  to: string;
}

/** A `YYYY-MM-DD` filter as the RFC 3339 instant the API expects (the "until" day is inclusive). */
export function toInstant(date: string, endOfDay: boolean): string | undefined {
  if (!date) return undefined;
  const start = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(start.getTime())) return undefined;
  return new Date(start.getTime() + (endOfDay ? 86_400_000 : 0)).toISOString();
}

export default function Audit() {
  const t = useT();
  const orgId = useOrgId();
  const format = useFormatDate();
  const [draft, setDraft] = useState<Filters>({ action: '', outcome: null, from: '', to: '' });
  const [filters, setFilters] = useState<Filters>(draft);
  const events = useInfiniteQuery({
    queryKey: ['audit', orgId, filters],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/organizations/{org_id}/audit-events', {
          params: {
            path: { org_id: orgId },
            query: {
              limit: 50,
              cursor: pageParam,
              action: filters.action.trim() || undefined,
              outcome: filters.outcome ?? undefined,
              created_after: toInstant(filters.from, false),
              created_before: toInstant(filters.to, true),
            },
          },
        }),
      ),
    getNextPageParam: (last) => (last.has_more ? (last.next_cursor ?? undefined) : undefined),
  });
  const rows = events.data?.pages.flatMap((page) => page.data) ?? [];
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFilters(draft);
  };
  return (
    <Stack>
      <PageHeader title={t('audit.title')} subtitle={t('audit.subtitle')} />
      <Section title={t('audit.filter')}>
        <form onSubmit={submit}>
          <Group align="flex-end" wrap="wrap">
            <TextInput label={t('audit.action')} placeholder="member.remove" value={draft.action} onChange={(e) => setDraft({ ...draft, action: e.currentTarget.value })} w={200} />
            <Select
              label={t('audit.outcome')}
              placeholder={t('audit.any')}
              data={['success', 'failure', 'denied']}
              value={draft.outcome}
              onChange={(v) => setDraft({ ...draft, outcome: v as Outcome | null })}
              clearable
              w={160}
            />
            <TextInput type="date" label={t('audit.from')} value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.currentTarget.value })} w={170} />
            <TextInput type="date" label={t('audit.to')} value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.currentTarget.value })} w={170} />
            <Button type="submit">{t('audit.filter')}</Button>
          </Group>
        </form>
      </Section>
      {events.isLoading && <TableSkeleton rows={6} />}
      <ProblemAlert error={events.error} />
      {events.isSuccess && rows.length === 0 && <EmptyState>{t('audit.empty')}</EmptyState>}
      {rows.length > 0 && (
        <Table.ScrollContainer minWidth={760}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('audit.when')}</Table.Th>
                <Table.Th>{t('audit.action')}</Table.Th>
                <Table.Th>{t('audit.outcome')}</Table.Th>
                <Table.Th>{t('audit.actor')}</Table.Th>
                <Table.Th>{t('audit.target')}</Table.Th>
                <Table.Th>{t('audit.ip')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((row) => (
                <Table.Tr key={row.id}>
                  <Table.Td>
                    <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
                      {format(row.created_at)}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <code>{row.action}</code>
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={row.outcome === 'success' ? 'green' : row.outcome === 'denied' ? 'orange' : 'red'}>
                      {row.outcome}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs" className="mono">
                      {row.actor_type}
                      {row.actor_id ? ` ${row.actor_id.slice(0, 8)}` : ''}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs" className="mono">
                      {row.target_type ?? '—'}
                      {row.target_id ? ` ${row.target_id.slice(0, 8)}` : ''}
                    </Text>
                  </Table.Td>
                  <Table.Td>{row.ip ?? '—'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {events.hasNextPage && (
        <Group>
          <Button variant="default" onClick={() => events.fetchNextPage()} loading={events.isFetchingNextPage}>
            {t('app.loadMore')}
          </Button>
        </Group>
      )}
    </Stack>
  );
}
