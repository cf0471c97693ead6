/**
 * Plan and billing: the current plan and its status, trial or grace end, seats, the next
 * invoice, the billing notices; the plan comparison with upgrade/downgrade (previewed before
 * confirming, see ChangePlanDialog); the Stripe customer portal; the invoices. Without Stripe
 * (local mode) the page says so, plan changes apply at once and nothing is charged.
 */
import { Alert, Anchor, Button, Group, Progress, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router-dom';

import { useSession } from '../../auth/session';
import { EmptyState, LoadMore, PageHeader, PageSkeleton, TableSkeleton } from '../../components/common';
import { ProblemAlert } from '../../components/ProblemAlert';
import { Panel, QueryError, TableScroll } from '../brain/components/Panel';
import { Tag } from '../brain/components/Tag';
import { daysUntil, redirect, useBillingSummary, useInvoices, usePortal, type BillingSummary } from './api';
import { planTitle, type PlanSpec } from './catalog';
import { ChangePlanDialog, type BillingMode } from './ChangePlanDialog';
import { PlanComparison } from './PlanComparison';
import { billingLabel, useBillingFormats, useBillingT } from './i18n';

const STATUS_COLOR: Record<string, string> = {
  trialing: 'blue',
  active: 'green',
  past_due: 'yellow',
  restricted: 'red',
  canceled: 'gray',
  paused: 'gray',
  incomplete: 'orange',
};

/** How a plan change goes through: directly (local), a prorated Stripe change, or Checkout. */
export function billingMode(summary: Pick<BillingSummary, 'mode' | 'current_period_end' | 'status'>): BillingMode {
  if (summary.mode === 'local') return 'local';
  const subscribed = summary.current_period_end !== null && summary.status !== 'canceled';
  return subscribed ? 'stripe' : 'checkout';
}

function Stat({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Stack gap={4}>
      <Text size="xs" tt="uppercase" fw={700} c="dimmed">
        {label}
      </Text>
      <div>{children}</div>
    </Stack>
  );
}

function Summary({ summary }: { summary: BillingSummary }) {
  const t = useBillingT();
  const f = useBillingFormats();
  const price =
    summary.plan === 'trial'
      ? t('billing.free')
      : summary.monthly_price_usd === null
        ? t('billing.custom')
        : t('billing.perMonth', { price: f.usd(summary.monthly_price_usd) });
  const seats = summary.seats;
  const seatShare = seats.included > 0 ? Math.min(100, (seats.used / seats.included) * 100) : 100;
  const trial = summary.trial_ends_at
    ? (() => {
        const days = daysUntil(summary.trial_ends_at);
        const date = f.day(summary.trial_ends_at);
        return days < 0 ? t('billing.trialOver', { date }) : days === 0 ? t('billing.trialLastDay', { date }) : t('billing.trialDaysLeft', { date, days });
      })()
    : null;
  return (
    <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} spacing="lg" data-testid="billing-summary">
      <Stat label={t('billing.current')}>
        <Group gap="xs">
          <Text fw={800} size="xl" data-testid="current-plan">
            {planTitle(summary.plan)}
          </Text>
          <Tag color={STATUS_COLOR[summary.status] ?? 'gray'} variant="light">
            {billingLabel(t, 'status', summary.status)}
          </Tag>
          {summary.read_only && (
            <Tag color="red" variant="filled">
              {t('billing.readOnly')}
            </Tag>
          )}
        </Group>
        <Text size="sm" mt={4}>
          {price}
        </Text>
      </Stat>
      <Stat label={t('billing.seats')}>
        <Text size="sm">{t('billing.seatsUsed', { used: f.count(seats.used), included: f.count(seats.included) })}</Text>
        <Progress
          value={seatShare}
          color={seats.used > seats.included ? 'orange' : 'blue'}
          mt={6}
          aria-label={t('billing.seatsUsed', { used: f.count(seats.used), included: f.count(seats.included) })}
        />
        <Text size="xs" c="dimmed" mt={4}>
          {seats.max === null ? t('billing.seatsUnlimited') : t('billing.seatsMax', { max: f.count(seats.max) })}
          {seats.billable_extra > 0 && ` · ${t('billing.extraSeats', { n: f.count(seats.billable_extra) })}`}
        </Text>
      </Stat>
      <Stat label={trial ? t('billing.trialEnds') : summary.grace_ends_at ? t('billing.graceEnds') : t('billing.periodEnd')}>
        <Text size="sm">
          {trial ?? (summary.grace_ends_at ? f.moment(summary.grace_ends_at) : summary.current_period_end ? f.day(summary.current_period_end) : '—')}
        </Text>
        {summary.cancel_at_period_end && (
          <Text size="xs" c="var(--mantine-color-orange-light-color)">
            {t('billing.cancelAtEnd')}
          </Text>
        )}
      </Stat>
      <Stat label={t('billing.nextInvoice')}>
        <Text size="sm">
          {summary.next_invoice
            ? summary.next_invoice.at
              ? t('billing.nextInvoiceAt', { amount: f.cents(summary.next_invoice.amount, summary.next_invoice.currency), date: f.day(summary.next_invoice.at) })
              : f.cents(summary.next_invoice.amount, summary.next_invoice.currency)
            : t('billing.noNextInvoice')}
        </Text>
      </Stat>
    </SimpleGrid>
  );
}

function Invoices({ local }: { local: boolean }) {
  const t = useBillingT();
  const f = useBillingFormats();
  const invoices = useInvoices();
  const rows = invoices.data?.pages.flatMap((page) => page.data) ?? [];
  if (invoices.isLoading) return <TableSkeleton rows={3} />;
  if (invoices.error) return <QueryError error={invoices.error} onRetry={() => void invoices.refetch()} />;
  if (rows.length === 0) return <EmptyState>{local ? t('billing.invoicesLocal') : t('billing.invoicesEmpty')}</EmptyState>;
  return (
    <Stack gap="xs">
      <TableScroll label={t('billing.invoicesCaption')}>
        <Table withTableBorder miw={640}>
          <caption style={{ captionSide: 'top', textAlign: 'left' }}>
            <Text size="sm" c="dimmed" component="span">
              {t('billing.invoicesCaption')}
            </Text>
          </caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t('billing.invoice.number')}</Table.Th>
              <Table.Th scope="col">{t('billing.invoice.date')}</Table.Th>
              <Table.Th scope="col">{t('billing.invoice.period')}</Table.Th>
              <Table.Th scope="col">{t('billing.invoice.status')}</Table.Th>
              <Table.Th scope="col" ta="right">
                {t('billing.invoice.amount')}
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((invoice) => {
              const number = invoice.number ?? invoice.stripe_invoice_id;
              return (
                <Table.Tr key={invoice.id}>
                  <Table.Th scope="row" fw={500}>
                    {invoice.hosted_invoice_url ? (
                      <Anchor href={invoice.hosted_invoice_url} target="_blank" rel="noopener noreferrer" aria-label={t('billing.invoice.view', { number })}>
                        {number}
                      </Anchor>
                    ) : (
                      number
                    )}
                  </Table.Th>
                  <Table.Td>{f.day(invoice.created_at)}</Table.Td>
                  <Table.Td>
                    {invoice.period_start && invoice.period_end ? `${f.day(invoice.period_start)} – ${f.day(invoice.period_end)}` : '—'}
                  </Table.Td>
                  <Table.Td>
                    <Tag color={invoice.status === 'paid' ? 'green' : invoice.status === 'open' ? 'yellow' : 'gray'} variant="light">
                      {invoice.status}
                    </Tag>
                  </Table.Td>
                  <Table.Td ta="right">{f.cents(invoice.status === 'paid' ? invoice.amount_paid : invoice.amount_due, invoice.currency)}</Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </TableScroll>
      <LoadMore query={invoices} />
    </Stack>
  );
}

export default function Billing() {
  const t = useBillingT();
  const { can } = useSession();
  const canManage = can('billing:manage');
  const [params] = useSearchParams();
  const summary = useBillingSummary();
  const portal = usePortal();
  const [target, setTarget] = useState<PlanSpec | null>(null);
  const checkout = params.get('checkout');
  const data = summary.data;
  return (
    <Stack>
      <PageHeader title={t('billing.title')} subtitle={t('billing.subtitle')} />
      {checkout === 'success' && (
        <Alert color="green" variant="light">
          {t('billing.checkoutSuccess')}
        </Alert>
      )}
      {checkout === 'cancel' && (
        <Alert color="gray" variant="light">
          {t('billing.checkoutCancel')}
        </Alert>
      )}
      {summary.isLoading && <PageSkeleton rows={3} />}
      {summary.error && <QueryError error={summary.error} onRetry={() => void summary.refetch()} />}
      {data && (
        <>
          {data.mode === 'local' && (
            <Alert color="blue" variant="light" title={t('billing.localTitle')} data-testid="local-mode">
              {t('billing.localBody')}
            </Alert>
          )}
          {data.banners.length > 0 && (
            <Stack gap="xs" component="section" aria-label={t('billing.notices')}>
              {data.banners.map((banner) => (
                <Alert key={banner.id} color={banner.severity === 'critical' ? 'red' : 'yellow'} variant="light" title={banner.title}>
                  {banner.body}
                </Alert>
              ))}
            </Stack>
          )}
          <Panel
            title={t('billing.current')}
            actions={
              <Anchor component={Link} to="/settings/usage" size="sm">
                {t('billing.usageLink')}
              </Anchor>
            }
          >
            <Stack>
              <Summary summary={data} />
              {canManage && data.mode === 'stripe' && data.has_payment_account && (
                <Stack gap={4} align="flex-start">
                  <Button
                    variant="light"
                    loading={portal.isPending}
                    onClick={() => portal.mutate(undefined, { onSuccess: (result) => redirect.to(result.url) })}
                  >
                    {t('billing.manage')}
                  </Button>
                  <Text size="xs" c="dimmed">
                    {t('billing.manageHint')}
                  </Text>
                </Stack>
              )}
              <ProblemAlert error={portal.error} />
              {!canManage && (
                <Text size="sm" c="dimmed">
                  {t('billing.noManage')}
                </Text>
              )}
            </Stack>
          </Panel>
          <Panel title={t('billing.compare')}>
            <PlanComparison currentPlan={data.plan} canManage={canManage} onChoose={setTarget} />
          </Panel>
          <Panel title={t('billing.invoices')}>
            <Invoices local={data.mode === 'local'} />
          </Panel>
          <ChangePlanDialog target={target} currentPlan={data.plan} mode={billingMode(data)} onClose={() => setTarget(null)} />
        </>
      )}
    </Stack>
  );
}
