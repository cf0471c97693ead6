/**
 * The plan comparison table: one column per purchasable plan (the current one marked), rows
 * for the price, the brain modules, the features, seats and limits and every quota, and,
 * for members who may manage billing, an upgrade/downgrade button under each plan.
 */
import { Button, Table, Text, VisuallyHidden } from '@mantine/core';
import type { ReactNode } from 'react';

import { TableScroll } from '../brain/components/Panel';
import { Tag } from '../brain/components/Tag';
import { direction, FEATURES, MODULES, PURCHASABLE, QUOTAS, quotaPeriod, type PlanSpec } from './catalog';
import { billingLabel, useBillingFormats, useBillingT, type BillingKey } from './i18n';

function Check({ on, label }: { on: boolean; label: string }) {
  return (
    <>
      <Text span aria-hidden="true" fw={700} c={on ? 'var(--mantine-color-green-light-color)' : 'dimmed'}>
        {on ? '✓' : '—'}
      </Text>
      <VisuallyHidden>{label}</VisuallyHidden>
    </>
  );
}

export function PlanComparison({
  currentPlan,
  canManage,
  onChoose,
  busy = false,
}: {
  currentPlan: string;
  canManage: boolean;
  onChoose: (plan: PlanSpec) => void;
  busy?: boolean;
}) {
  const t = useBillingT();
  const f = useBillingFormats();
  const limit = (value: number | null) => (value === null ? t('billing.unlimited') : f.count(value));
  const price = (plan: PlanSpec) => (plan.monthly_price_usd === null ? t('billing.custom') : f.usd(plan.monthly_price_usd));
  const row = (label: string, cell: (plan: PlanSpec) => ReactNode) => (
    <Table.Tr key={label}>
      <Table.Th scope="row" fw={500}>
        {label}
      </Table.Th>
      {PURCHASABLE.map((plan) => (
        <Table.Td key={plan.name} ta="center" bg={plan.name === currentPlan ? 'var(--mantine-color-blue-light)' : undefined}>
          {cell(plan)}
        </Table.Td>
      ))}
    </Table.Tr>
  );
  const group = (label: string, rows: ReactNode[]) => (
    <Table.Tbody key={label}>
      <Table.Tr>
        <Table.Th scope="rowgroup" colSpan={PURCHASABLE.length + 1} bg="var(--mantine-color-default-hover)">
          <Text size="sm" fw={700}>
            {label}
          </Text>
        </Table.Th>
      </Table.Tr>
      {rows}
    </Table.Tbody>
  );
  return (
    <TableScroll label={t('billing.compareCaption')}>
      <Table withTableBorder withColumnBorders miw={760} data-testid="plan-comparison">
        <caption style={{ captionSide: 'top', textAlign: 'left' }}>
          <Text size="sm" c="dimmed" component="span">
            {t('billing.compareCaption')}
          </Text>
        </caption>
        <Table.Thead>
          <Table.Tr>
            <Table.Td />
            {PURCHASABLE.map((plan) => (
              <Table.Th key={plan.name} scope="col" ta="center" aria-current={plan.name === currentPlan ? 'true' : undefined}>
                <Text fw={700} size="md" span>
                  {plan.title}
                </Text>
                {plan.name === currentPlan && (
                  <>
                    {' '}
                    <Tag size="sm" color="blue" variant="filled">
                      {t('billing.currentBadge')}
                    </Tag>
                  </>
                )}
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>{row(t('billing.row.price'), (plan) => <Text fw={700}>{price(plan)}</Text>)}</Table.Tbody>
        {group(
          t('billing.group.modules'),
          MODULES.map((module) =>
            row(billingLabel(t, 'module', module), (plan) => {
              const on = plan.modules.includes(module);
              return <Check on={on} label={on ? t('billing.included') : t('billing.notIncluded')} />;
            }),
          ),
        )}
        {group(
          t('billing.group.features'),
          FEATURES.map((feature) =>
            row(billingLabel(t, 'feature', feature), (plan) => {
              const on = plan.features.includes(feature);
              return <Check on={on} label={on ? t('billing.included') : t('billing.notIncluded')} />;
            }),
          ),
        )}
        {group(t('billing.group.limits'), [
          row(t('billing.row.seats'), (plan) => f.count(plan.included_seats)),
          row(t('billing.row.maxSeats'), (plan) => limit(plan.max_seats)),
          row(t('billing.row.integrations'), (plan) => limit(plan.max_integrations)),
          row(t('billing.row.retention'), (plan) =>
            plan.features.includes('custom_retention') ? t('billing.custom') : t('billing.days', { n: f.count(plan.retention_days) }),
          ),
        ])}
        {group(
          t('billing.group.quotas'),
          QUOTAS.map((quota) => {
            const period = quotaPeriod(quota);
            const label = `${billingLabel(t, 'quota', quota)}${period ? ` (${t(`period.${period}` as BillingKey)})` : ''}`;
            return row(label, (plan) => limit(plan.quotas[quota] ?? null));
          }),
        )}
        {canManage && (
          <Table.Tbody>
            <Table.Tr>
              <Table.Td />
              {PURCHASABLE.map((plan) => {
                const move = direction(currentPlan, plan.name);
                return (
                  <Table.Td key={plan.name} ta="center">
                    {move === 'current' ? (
                      <Text size="sm" fw={600}>
                        {t('billing.current')}
                      </Text>
                    ) : (
                      <Button
                          size="xs"
                          variant={move === 'upgrade' ? 'filled' : 'default'}
                          onClick={() => onChoose(plan)}
                          disabled={busy}
                        >
                        {t(currentPlan === 'trial' ? 'billing.choose' : move === 'upgrade' ? 'billing.upgrade' : 'billing.downgrade', {
                          plan: plan.title,
                        })}
                      </Button>
                    )}
                  </Table.Td>
                );
              })}
            </Table.Tr>
          </Table.Tbody>
        )}
      </Table>
    </TableScroll>
  );
}
