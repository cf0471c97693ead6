/**
 * Operator console, one tenant: its summary (when it came from the tenant list) and its
 * entitlement and quota overrides (kind, what, value, expiry, reason, who, state), with the
 * dialogs to add one and to revoke one.
 */
import { Anchor, Button, Group, Modal, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { Link, useLocation, useParams } from 'react-router-dom';

import { ApiError } from '../../api/problem';
import { EmptyState, LoadMore, PageHeader, TableSkeleton } from '../../components/common';
import { useT } from '../../i18n';
import { NoPermission } from '../../layout/Status';
import { notifyError, notifySuccess } from '../../lib/notify';
import { Panel, QueryError, TableScroll } from '../brain/components/Panel';
import { Tag } from '../brain/components/Tag';
import { planTitle } from '../billing/catalog';
import { billingLabel, useBillingT } from '../billing/i18n';
import { useAddOverride, useOverrides, useRevokeOverride, type Override, type Tenant } from './api';
import { forbidden, OperatorOnly, STATUS_COLOR, useKnownTenants } from './components';
import { useOperatorFormats, useOperatorT } from './i18n';
import { OverrideForm } from './OverrideForm';

/** "API requests: 5,000", "VOICE (assistant): turned on", "Trial extension: +14 days". */
export function useDescribeOverride() {
  const t = useOperatorT();
  const bt = useBillingT();
  const f = useOperatorFormats();
  return {
    what: (o: Pick<Override, 'kind' | 'key'>) => (o.kind === 'trial' ? t('overrides.kind.trial') : billingLabel(bt, o.kind, o.key)),
    value: (o: Pick<Override, 'kind' | 'value'>) => {
      if (o.kind === 'quota') return o.value === null ? t('overrides.unlimited') : f.count(o.value);
      if (o.kind === 'trial') return t('overrides.daysValue', { n: o.value ?? 0 });
      return t('overrides.on');
    },
  };
}

function Summary({ tenant }: { tenant: Tenant }) {
  const t = useOperatorT();
  const bt = useBillingT();
  const f = useOperatorFormats();
  const item = (label: string, value: ReactNode) => (
    <Stack gap={2}>
      <Text size="xs" fw={700} tt="uppercase" c="dimmed">
        {label}
      </Text>
      <Text size="sm" component="div">
        {value}
      </Text>
    </Stack>
  );
  return (
    <SimpleGrid cols={{ base: 2, md: 4 }}>
      {item(
        t('tenants.plan'),
        <Group gap={6}>
          <span>{planTitle(tenant.plan)}</span>
          <Tag color={STATUS_COLOR[tenant.status] ?? 'gray'} variant="light">
            {billingLabel(bt, 'status', tenant.status)}
          </Tag>
        </Group>,
      )}
      {item(t('tenants.members'), `${f.count(tenant.seats.used)} / ${f.count(tenant.seats.included)}`)}
      {item(
        billingLabel(bt, 'quota', 'events_per_month'),
        `${f.count(tenant.events_this_month.used)} / ${tenant.events_this_month.limit === null ? bt('billing.unlimited') : f.count(tenant.events_this_month.limit)}`,
      )}
      {item(`${t('tenants.cost')} / ${t('tenants.margin')}`, `${f.usd(tenant.cost_usd)} / ${tenant.margin_usd === null ? '—' : f.usd(tenant.margin_usd)}`)}
    </SimpleGrid>
  );
}

function OverridesTable({ name, overrides, onRevoke }: { name: string; overrides: Override[]; onRevoke: (o: Override) => void }) {
  const t = useOperatorT();
  const f = useOperatorFormats();
  const describe = useDescribeOverride();
  return (
    <TableScroll label={t('overrides.caption', { name })}>
      <Table withTableBorder miw={980} data-testid="overrides-table">
        <caption style={{ captionSide: 'top', textAlign: 'left' }}>
          <Text size="sm" c="dimmed" component="span">
            {t('overrides.caption', { name })}
          </Text>
        </caption>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">{t('overrides.key')}</Table.Th>
            <Table.Th scope="col">{t('overrides.kind')}</Table.Th>
            <Table.Th scope="col">{t('overrides.value')}</Table.Th>
            <Table.Th scope="col">{t('overrides.expires')}</Table.Th>
            <Table.Th scope="col">{t('overrides.reason')}</Table.Th>
            <Table.Th scope="col">{t('overrides.by')}</Table.Th>
            <Table.Th scope="col">{t('overrides.state')}</Table.Th>
            <Table.Th scope="col">
              <span className="visually-hidden">{t('overrides.delete')}</span>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {overrides.map((o) => {
            const state = o.revoked_at ? 'revoked' : o.active ? 'active' : 'expired';
            return (
              <Table.Tr key={o.id} data-testid="override-row">
                <Table.Th scope="row" fw={600}>
                  {describe.what(o)}
                </Table.Th>
                <Table.Td>{t(`overrides.kind.${o.kind}` as Parameters<typeof t>[0])}</Table.Td>
                <Table.Td>{describe.value(o)}</Table.Td>
                <Table.Td>{f.moment(o.expires_at)}</Table.Td>
                <Table.Td maw={260}>
                  <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                    {o.reason}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{o.created_by.replace(/^operator:/, '')}</Text>
                  <Text size="xs" c="dimmed">
                    {f.moment(o.created_at)}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Tag color={state === 'active' ? 'green' : 'gray'} variant="light">
                    {t(`overrides.${state}`)}
                  </Tag>
                </Table.Td>
                <Table.Td>
                  {state === 'active' && (
                    <Button size="xs" variant="subtle" color="red" onClick={() => onRevoke(o)} aria-label={t('overrides.deleteLabel', { what: describe.what(o) })}>
                      {t('overrides.delete')}
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </TableScroll>
  );
}

function TenantPage() {
  const t = useOperatorT();
  const appT = useT();
  const { tenantId = '' } = useParams();
  const location = useLocation();
  const known = useKnownTenants();
  const tenant = (location.state as { tenant?: Tenant } | null)?.tenant ?? known.get(tenantId);
  const name = tenant?.name || tenantId;
  const overrides = useOverrides(tenantId);
  const add = useAddOverride(tenantId);
  const revoke = useRevokeOverride(tenantId);
  const describe = useDescribeOverride();
  const [adding, setAdding] = useState(false);
  const [revoking, setRevoking] = useState<Override | null>(null);
  const rows = overrides.data?.pages.flatMap((page) => page.data) ?? [];
  if (forbidden(overrides.error)) return <NoPermission />;
  const missing = overrides.error instanceof ApiError && overrides.error.status === 404;
  const closeAdd = () => {
    add.reset();
    setAdding(false);
  };
  return (
    <Stack>
      <Anchor component={Link} to="/operator/tenants" size="sm">
        ← {t('tenant.back')}
      </Anchor>
      <PageHeader
        title={t('tenant.title', { name })}
        subtitle={`${t('tenant.id')}: ${tenantId}`}
        actions={
          missing ? undefined : (
            <Button onClick={() => setAdding(true)}>{t('overrides.add')}</Button>
          )
        }
      />
      {missing ? (
        <EmptyState>{t('tenant.notFound')}</EmptyState>
      ) : (
        <>
          {tenant && (
            <Panel title={t('tenant.summary')}>
              <Summary tenant={tenant} />
            </Panel>
          )}
          <Panel title={t('overrides.title')}>
            <Text size="sm" c="dimmed">
              {t('overrides.subtitle')}
            </Text>
            {overrides.isLoading && <TableSkeleton rows={3} />}
            {overrides.error && <QueryError error={overrides.error} onRetry={() => void overrides.refetch()} />}
            {overrides.isSuccess && rows.length === 0 && <EmptyState>{t('overrides.empty')}</EmptyState>}
            {rows.length > 0 && <OverridesTable name={name} overrides={rows} onRevoke={setRevoking} />}
            <LoadMore query={overrides} />
          </Panel>
        </>
      )}
      <Modal opened={adding} onClose={closeAdd} title={t('overrides.add')} size="lg" closeButtonProps={{ 'aria-label': appT('app.close') }}>
        <OverrideForm
          pending={add.isPending}
          error={add.error}
          onCancel={closeAdd}
          onSubmit={(body) =>
            add.mutate(body, {
              onSuccess: () => {
                notifySuccess(t('overrides.added'));
                closeAdd();
              },
            })
          }
        />
      </Modal>
      <Modal opened={revoking !== null} onClose={() => setRevoking(null)} title={t('overrides.confirmTitle')} closeButtonProps={{ 'aria-label': appT('app.close') }}>
        {revoking && (
          <Stack>
            <Text size="sm">{t('overrides.confirmBody', { what: `${describe.what(revoking)} (${describe.value(revoking)})` })}</Text>
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setRevoking(null)}>
                {appT('app.cancel')}
              </Button>
              <Button
                color="red"
                loading={revoke.isPending}
                onClick={() =>
                  revoke.mutate(revoking.id, {
                    onSuccess: () => {
                      notifySuccess(t('overrides.deleted'));
                      setRevoking(null);
                    },
                    onError: (error) => notifyError(error, appT('app.errorTitle')),
                  })
                }
              >
                {t('overrides.delete')}
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </Stack>
  );
}

export default function TenantOverrides() {
  return (
    <OperatorOnly>
      <TenantPage />
    </OperatorOnly>
  );
}
