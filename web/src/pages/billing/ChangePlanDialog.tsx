/**
 * The plan-change dialog: what changes (price, seats, modules gained or lost) and, in Stripe
 * mode, Stripe's prorated charge previewed before anything is confirmed (the confirmation
 * sends back the preview's `proration_date` so the charge is exactly the one shown). Without
 * a subscription yet it continues to Stripe Checkout; in local mode the change applies at
 * once. A change the organization does not fit (409) lists what must change first, with
 * links to where each thing is done.
 */
import { Alert, Anchor, Button, Group, List, Modal, Skeleton, Stack, Table, Text } from '@mantine/core';
import { Link } from 'react-router-dom';

import { ProblemAlert } from '../../components/ProblemAlert';
import { useT } from '../../i18n';
import { notifySuccess } from '../../lib/notify';
import { planViolations, redirect, useChangePlan, useCheckout, usePlanPreview, type PlanName, type Violation } from './api';
import { planDiff, type PlanSpec } from './catalog';
import { billingLabel, useBillingFormats, useBillingT, type BillingKey } from './i18n';

export type BillingMode = 'local' | 'stripe' | 'checkout';

/** Where each kind of limit is fixed in the app. */
const FIX: Record<string, { to: string; label: BillingKey }> = {
  members: { to: '/settings/members', label: 'change.fix.members' },
  members_and_pending_invites: { to: '/settings/members', label: 'change.fix.members' },
  integrations: { to: '/connections', label: 'change.fix.integrations' },
  sso_enforcement: { to: '/settings/organization', label: 'change.fix.settings' },
  data_retention_days: { to: '/settings/organization', label: 'change.fix.settings' },
};

export function ViolationList({ plan, violations }: { plan: string; violations: Violation[] }) {
  const t = useBillingT();
  return (
    <Alert color="orange" variant="light" role="alert" title={t('change.blockedTitle', { plan })}>
      <Stack gap="xs">
        <Text size="sm">{t('change.blockedBody')}</Text>
        <List size="sm" spacing="xs" data-testid="plan-violations">
          {violations.map((v) => {
            const fix = FIX[v.limit];
            return (
              <List.Item key={v.limit}>
                <Text size="sm" span fw={600}>
                  {v.action}
                </Text>{' '}
                <Text size="sm" span c="dimmed">
                  ({t('change.current', { current: String(v.current), allowed: String(v.allowed) })})
                </Text>
                {fix && (
                  <>
                    {' '}
                    <Anchor component={Link} to={fix.to} size="sm">
                      {t(fix.label)}
                    </Anchor>
                  </>
                )}
              </List.Item>
            );
          })}
        </List>
      </Stack>
    </Alert>
  );
}

function Comparison({ current, target }: { current: string; target: PlanSpec }) {
  const t = useBillingT();
  const f = useBillingFormats();
  const diff = planDiff(current, target);
  const price = (plan: PlanSpec | undefined) => {
    if (!plan) return '—';
    if (plan.name === 'trial') return t('billing.free');
    return plan.monthly_price_usd === null ? t('billing.custom') : t('billing.perMonth', { price: f.usd(plan.monthly_price_usd) });
  };
  const signed = (v: number) => `${v > 0 ? '+' : v < 0 ? '−' : ''}${f.usd(Math.abs(v))}`;
  return (
    <Stack gap="xs">
      <Table withTableBorder>
        <Table.Thead>
          <Table.Tr>
            <Table.Td />
            <Table.Th scope="col">{t('change.from')}</Table.Th>
            <Table.Th scope="col">{t('change.to')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          <Table.Tr>
            <Table.Th scope="row">{t('billing.current')}</Table.Th>
            <Table.Td>{diff.from?.title ?? current}</Table.Td>
            <Table.Td fw={700}>{target.title}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th scope="row">{t('change.monthly')}</Table.Th>
            <Table.Td>{price(diff.from)}</Table.Td>
            <Table.Td fw={700}>{price(target)}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th scope="row">{t('change.seats')}</Table.Th>
            <Table.Td>{diff.from ? f.count(diff.from.included_seats) : '—'}</Table.Td>
            <Table.Td fw={700}>{f.count(target.included_seats)}</Table.Td>
          </Table.Tr>
        </Table.Tbody>
      </Table>
      {diff.priceChange !== null && (
        <Text size="sm" data-testid="price-change">
          {t('change.difference')}: <strong>{signed(diff.priceChange)}</strong>
        </Text>
      )}
      {diff.gained.length > 0 && (
        <Text size="sm">
          {t('change.gained')}: {diff.gained.map((m) => billingLabel(t, 'module', m)).join(', ')}
        </Text>
      )}
      {diff.lost.length > 0 && (
        <Text size="sm" c="var(--mantine-color-red-light-color)">
          {t('change.lost')}: {diff.lost.map((m) => billingLabel(t, 'module', m)).join(', ')}
        </Text>
      )}
    </Stack>
  );
}

function StripePreview({ plan }: { plan: PlanName }) {
  const t = useBillingT();
  const f = useBillingFormats();
  const preview = usePlanPreview(plan, true);
  if (preview.isLoading) {
    return (
      <Stack gap={4} aria-busy="true" aria-label={t('change.previewLoading')}>
        <Skeleton height={20} />
        <Skeleton height={20} />
      </Stack>
    );
  }
  if (preview.error) return <ProblemAlert error={preview.error} />;
  const data = preview.data;
  if (!data) return null;
  return (
    <Stack gap={4} data-testid="proration-preview">
      <Text fw={700}>{t('change.preview')}</Text>
      <Group justify="space-between">
        <Text size="sm">{t('change.proration')}</Text>
        <Text size="sm" fw={600}>
          {f.cents(data.proration_amount, data.currency)}
        </Text>
      </Group>
      <Group justify="space-between">
        <Text size="sm">{t('change.amountDue')}</Text>
        <Text size="sm" fw={700}>
          {f.cents(data.amount_due, data.currency)}
        </Text>
      </Group>
      <Group justify="space-between">
        <Text size="sm">{t('change.billedSeats')}</Text>
        <Text size="sm">{f.count(data.seats)}</Text>
      </Group>
      <Text size="xs" c="dimmed">
        {t('change.stripeNote')}
      </Text>
    </Stack>
  );
}

export function ChangePlanDialog({
  target,
  currentPlan,
  mode,
  onClose,
}: {
  target: PlanSpec | null;
  currentPlan: string;
  /** `local`: no Stripe; `stripe`: a subscription to change; `checkout`: none yet. */
  mode: BillingMode;
  onClose: () => void;
}) {
  const t = useBillingT();
  const appT = useT();
  const change = useChangePlan();
  const checkout = useCheckout();
  const plan = (target?.name ?? 'starter') as PlanName;
  const preview = usePlanPreview(plan, target !== null && mode === 'stripe');
  const violations = planViolations(change.error) ?? planViolations(checkout.error);
  const close = () => {
    change.reset();
    checkout.reset();
    onClose();
  };
  const confirm = () => {
    if (!target) return;
    if (mode === 'checkout') {
      checkout.mutate(plan, {
        onSuccess: (result) => {
          if (result.url) {
            redirect.to(result.url);
            return;
          }
          notifySuccess(t('change.done', { plan: target.title }));
          close();
        },
      });
      return;
    }
    change.mutate(
      { plan, prorationDate: mode === 'stripe' ? preview.data?.proration_date : undefined },
      {
        onSuccess: () => {
          notifySuccess(t('change.done', { plan: target.title }));
          close();
        },
      },
    );
  };
  const pending = change.isPending || checkout.isPending;
  const error = change.error ?? checkout.error;
  return (
    <Modal
      opened={target !== null}
      onClose={close}
      title={target ? t('change.title', { plan: target.title }) : ''}
      size="lg"
      closeButtonProps={{ 'aria-label': appT('app.close') }}
    >
      {target && (
        <Stack>
          <Comparison current={currentPlan} target={target} />
          {mode === 'local' && (
            <Alert color="blue" variant="light" data-testid="local-mode-note">
              {t('change.localNote')}
            </Alert>
          )}
          {mode === 'stripe' && <StripePreview plan={plan} />}
          {mode === 'checkout' && (
            <Text size="sm" c="dimmed">
              {t('change.checkoutNote')}
            </Text>
          )}
          {violations && violations.length > 0 ? <ViolationList plan={target.title} violations={violations} /> : <ProblemAlert error={error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              {appT('app.cancel')}
            </Button>
            <Button onClick={confirm} loading={pending} disabled={mode === 'stripe' && !preview.data}>
              {mode === 'checkout' ? t('change.checkout') : t('change.confirm')}
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
