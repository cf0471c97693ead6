/**
 * Operator console: every tenant with its plan and status, seats, this month's events
 * against the plan, and cost, revenue and margin month to date, in a table sortable by any
 * column; search by name and filter by plan; each tenant opens its overrides.
 */
import { Anchor, Group, Progress, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { Link } from 'react-router-dom';

import { EmptyState, LoadMore, PageHeader, TableSkeleton } from '../../components/common';
import { NoPermission } from '../../layout/Status';
import { QueryError, TableScroll } from '../brain/components/Panel';
import { Tag } from '../brain/components/Tag';
import { planTitle } from '../billing/catalog';
import { billingLabel, useBillingT } from '../billing/i18n';
import { TENANT_PLANS, useTenants, type Tenant, type TenantPlan } from './api';
import { forbidden, OperatorOnly, SortableTh, sortRows, STATUS_COLOR, type SortDirection } from './components';
import { useOperatorFormats, useOperatorT } from './i18n';

export type TenantColumn = 'name' | 'plan' | 'status' | 'members' | 'events' | 'cost' | 'revenue' | 'margin' | 'created';

const PLAN_RANK: Record<string, number> = { trial: 0, starter: 1, growth: 2, scale: 3, enterprise: 4 };

export function tenantSortKey(column: TenantColumn): (tenant: Tenant) => number | string | null {
  switch (column) {
    case 'name':
      return (t) => t.name.toLowerCase();
    case 'plan':
      return (t) => PLAN_RANK[t.plan] ?? 99;
    case 'status':
      return (t) => t.status;
    case 'members':
      return (t) => t.seats.used;
    case 'events':
      return (t) => t.events_this_month.used;
    case 'cost':
      return (t) => t.cost_usd;
    case 'revenue':
      return (t) => t.revenue_usd;
    case 'margin':
      return (t) => t.margin_usd;
    case 'created':
      return (t) => t.created_at;
  }
}

function TenantsTable({ tenants }: { tenants: Tenant[] }) {
  const t = useOperatorT();
  const bt = useBillingT();
  const f = useOperatorFormats();
  const [sort, setSort] = useState<{ column: TenantColumn; direction: SortDirection }>({ column: 'cost', direction: 'desc' });
  const onSort = (column: TenantColumn) =>
    setSort((current) => ({ column, direction: current.column === column && current.direction === 'desc' ? 'asc' : current.column === column ? 'desc' : column === 'name' ? 'asc' : 'desc' }));
  const rows = sortRows(tenants, tenantSortKey(sort.column), sort.direction);
  const th = (column: TenantColumn, label: string, align: 'left' | 'right' = 'left') => (
    <SortableTh column={column} label={label} sort={sort} onSort={onSort} align={align} />
  );
  return (
    <TableScroll label={t('tenants.caption')}>
      <Table withTableBorder highlightOnHover miw={1080} data-testid="tenants-table">
        <caption style={{ captionSide: 'top', textAlign: 'left' }}>
          <Text size="sm" c="dimmed" component="span">
            {t('tenants.caption')}
          </Text>
        </caption>
        <Table.Thead>
          <Table.Tr>
            {th('name', t('tenants.name'))}
            {th('plan', t('tenants.plan'))}
            {th('status', t('tenants.status'))}
            {th('members', t('tenants.members'), 'right')}
            {th('events', t('tenants.usage'))}
            {th('cost', t('tenants.cost'), 'right')}
            {th('revenue', t('tenants.revenue'), 'right')}
            {th('margin', t('tenants.margin'), 'right')}
            {th('created', t('tenants.created'))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((tenant) => {
            const events = tenant.events_this_month;
            const share = events.limit ? Math.min(100, (events.used / events.limit) * 100) : 0;
            const name = tenant.name || t('tenants.unnamed');
            return (
              <Table.Tr key={tenant.id} data-testid="tenant-row">
                <Table.Th scope="row" fw={600}>
                  <Anchor component={Link} to={`/operator/tenants/${tenant.id}`} state={{ tenant }} aria-label={t('tenants.open', { name })}>
                    {name}
                  </Anchor>
                  <Text size="xs" c="dimmed" fw={400}>
                    {tenant.slug}
                  </Text>
                </Table.Th>
                <Table.Td>{planTitle(tenant.plan)}</Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    <Tag color={STATUS_COLOR[tenant.status] ?? 'gray'} variant="light">
                      {billingLabel(bt, 'status', tenant.status)}
                    </Tag>
                  </Group>
                </Table.Td>
                <Table.Td ta="right">
                  {f.count(tenant.seats.used)}
                  <Text span size="xs" c="dimmed">
                    {' '}
                    / {f.count(tenant.seats.included)}
                  </Text>
                </Table.Td>
                <Table.Td miw={160}>
                  <Text size="xs">
                    {billingLabel(bt, 'quota', 'events_per_month')}: {f.compact(events.used)} / {events.limit === null ? '∞' : f.compact(events.limit)}
                  </Text>
                  {events.limit !== null && (
                    <Progress
                      value={share}
                      size="sm"
                      color={share >= 100 ? 'red' : share >= 80 ? 'orange' : 'blue'}
                      aria-label={`${name}: ${billingLabel(bt, 'quota', 'events_per_month')} ${f.count(events.used)} / ${f.count(events.limit)}`}
                    />
                  )}
                </Table.Td>
                <Table.Td ta="right">{f.usd(tenant.cost_usd)}</Table.Td>
                <Table.Td ta="right">{tenant.revenue_usd === null ? t('tenants.custom') : f.usd(tenant.revenue_usd)}</Table.Td>
                <Table.Td ta="right" c={tenant.margin_usd !== null && tenant.margin_usd < 0 ? 'var(--mantine-color-red-light-color)' : undefined}>
                  {tenant.margin_usd === null ? '—' : f.usd(tenant.margin_usd)}
                </Table.Td>
                <Table.Td>{f.day(tenant.created_at)}</Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </TableScroll>
  );
}

function TenantsPage() {
  const t = useOperatorT();
  const [search, setSearch] = useState('');
  const [query] = useDebouncedValue(search.trim(), 300);
  const [plan, setPlan] = useState<TenantPlan | ''>('');
  const tenants = useTenants({ q: query || undefined, plan: plan || undefined });
  const rows = tenants.data?.pages.flatMap((page) => page.data) ?? [];
  if (forbidden(tenants.error)) return <NoPermission />;
  const filtered = query !== '' || plan !== '';
  return (
    <Stack>
      <PageHeader title={t('tenants.title')} subtitle={t('tenants.subtitle')} />
      <Group align="flex-end" gap="md" wrap="wrap" role="search">
        <TextInput
          label={t('tenants.search')}
          placeholder={t('tenants.searchPlaceholder')}
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          w={260}
          maxLength={100}
        />
        <Select
          label={t('tenants.planFilter')}
          data={[{ value: '', label: t('tenants.allPlans') }, ...TENANT_PLANS.map((p) => ({ value: p, label: planTitle(p) }))]}
          value={plan}
          onChange={(value) => setPlan((value ?? '') as TenantPlan | '')}
          allowDeselect={false}
          w={200}
        />
        {tenants.isSuccess && (
          <Text size="sm" c="dimmed" aria-live="polite">
            {t('tenants.loaded', { n: rows.length })}
          </Text>
        )}
      </Group>
      {tenants.isLoading && <TableSkeleton rows={6} />}
      {tenants.error && <QueryError error={tenants.error} onRetry={() => void tenants.refetch()} />}
      {tenants.isSuccess && rows.length === 0 && <EmptyState>{filtered ? t('tenants.empty') : t('tenants.none')}</EmptyState>}
      {rows.length > 0 && <TenantsTable tenants={rows} />}
      <LoadMore query={tenants} />
      <Text size="xs" c="dimmed">
        {t('tenants.mtd')}
      </Text>
    </Stack>
  );
}

export default function Tenants() {
  return (
    <OperatorOnly>
      <TenantsPage />
    </OperatorOnly>
  );
}
