/**
 * Building blocks of the operator console: the operators-only gate, a sortable column
 * header (a button inside the header cell, with `aria-sort`), and a tenant's name looked up
 * in the tenant lists already loaded.
 */
import { Table, Text, UnstyledButton } from '@mantine/core';
import { useQueryClient, type InfiniteData } from '@tanstack/react-query';
import type { ReactNode } from 'react';

import { useSession } from '../../auth/session';
import { NoPermission } from '../../layout/Status';
import { notOperator, type Tenant } from './api';
import { operatorFlag } from './access';
import { useOperatorT } from './i18n';

/**
 * Renders the page for operators. A user /auth/me reports as no operator sees the
 * no-permission state at once; otherwise the page's own queries decide (403 → the same).
 */
export function OperatorOnly({ children }: { children: ReactNode }) {
  const { me } = useSession();
  if (operatorFlag(me) === false) return <NoPermission />;
  return <>{children}</>;
}

/** Billing statuses' badge colors. */
export const STATUS_COLOR: Record<string, string> = {
  trialing: 'blue',
  active: 'green',
  past_due: 'yellow',
  restricted: 'red',
  canceled: 'gray',
  paused: 'gray',
  incomplete: 'orange',
};

/** True when any of the errors is the API's "operators only" answer. */
export function forbidden(...errors: unknown[]): boolean {
  return errors.some(notOperator);
}

export type SortDirection = 'asc' | 'desc';

export function SortableTh<C extends string>({
  column,
  label,
  sort,
  onSort,
  align = 'left',
}: {
  column: C;
  label: string;
  sort: { column: C; direction: SortDirection };
  onSort: (column: C) => void;
  align?: 'left' | 'right';
}) {
  const t = useOperatorT();
  const active = sort.column === column;
  const state = active ? (sort.direction === 'asc' ? t('tenants.sortedAsc') : t('tenants.sortedDesc')) : undefined;
  return (
    <Table.Th scope="col" ta={align} aria-sort={active ? (sort.direction === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <UnstyledButton onClick={() => onSort(column)} title={t('tenants.sortBy', { column: label })} style={{ font: 'inherit', fontWeight: 700 }}>
        {label}
        <Text span aria-hidden="true" size="xs" ml={4}>
          {active ? (sort.direction === 'asc' ? '▲' : '▼') : '↕'}
        </Text>
        {state && <span className="visually-hidden">, {state}</span>}
      </UnstyledButton>
    </Table.Th>
  );
}

/** Sort rows by a key (nulls last whatever the direction). */
export function sortRows<T>(rows: T[], key: (row: T) => number | string | null | undefined, direction: SortDirection): T[] {
  const sign = direction === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    if (x === null || x === undefined) return y === null || y === undefined ? 0 : 1;
    if (y === null || y === undefined) return -1;
    if (typeof x === 'number' && typeof y === 'number') return (x - y) * sign;
    return String(x).localeCompare(String(y)) * sign;
  });
}

/** Tenants already loaded by the tenant list (any filter), by id. */
export function useKnownTenants(): Map<string, Tenant> {
  const client = useQueryClient();
  const known = new Map<string, Tenant>();
  for (const [, data] of client.getQueriesData<InfiniteData<{ data: Tenant[] }>>({ queryKey: ['admin', 'tenants'] })) {
    for (const page of data?.pages ?? []) for (const tenant of page.data) known.set(tenant.id, tenant);
  }
  return known;
}
