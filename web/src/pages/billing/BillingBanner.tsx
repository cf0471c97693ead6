/**
 * The billing banner under every page of the shell, fed from the plan (which every member
 * may read): the trial ending soon, a failed payment in its grace period (with the link to
 * fix it) and the read-only state once billing is restricted. Members who cannot manage
 * billing are told to ask an owner instead of being sent to a page they cannot use.
 *
 * It comes after the page and sticks to the bottom of the window (`.billing-banner` in
 * styles.css), so arriving late moves nothing already on screen: the page never waits for
 * the plan's answer.
 */
import { Alert, Anchor, Group, Text } from '@mantine/core';
import { Link } from 'react-router-dom';

import { useSession } from '../../auth/session';
import { daysUntil, useBillingSummary, usePlan, type PlanOverview } from './api';
import { billingLabel, useBillingFormats, useBillingT, type BillingTranslate } from './i18n';

/** The trial banner shows in the trial's last week. */
export const TRIAL_WARNING_DAYS = 7;

export interface BannerState {
  kind: 'trial' | 'past_due' | 'read_only';
  color: 'blue' | 'yellow' | 'red';
  message: string;
}

/** What to show for this plan state (null: nothing), given when the grace period ends. */
export function bannerFor(
  plan: Pick<PlanOverview, 'plan' | 'status' | 'read_only' | 'trial_ends_at'> | undefined,
  graceEndsAt: string | null | undefined,
  t: BillingTranslate,
  day: (iso: string) => string,
  now: Date = new Date(),
): BannerState | null {
  if (!plan || typeof plan.status !== 'string') return null;
  if (plan.read_only) {
    const message =
      plan.plan === 'trial'
        ? `${t('banner.trialEnded')} ${t('banner.restricted')}`
        : plan.status === 'restricted'
          ? t('banner.restricted')
          : t('banner.readOnly', { status: billingLabel(t, 'status', plan.status).toLowerCase() });
    return { kind: 'read_only', color: 'red', message };
  }
  if (plan.status === 'past_due') {
    const message = graceEndsAt ? t('banner.pastDue', { date: day(graceEndsAt) }) : t('banner.pastDueNoDate');
    return { kind: 'past_due', color: 'yellow', message };
  }
  if (plan.status === 'trialing' && plan.trial_ends_at) {
    const days = daysUntil(plan.trial_ends_at, now);
    if (days > TRIAL_WARNING_DAYS) return null;
    const date = day(plan.trial_ends_at);
    const message =
      days < 0 ? t('banner.trialEnded') : days === 0 ? t('banner.trialToday') : days === 1 ? t('banner.trialOne', { date }) : t('banner.trial', { days, date });
    return { kind: 'trial', color: 'blue', message };
  }
  return null;
}

export default function BillingBanner() {
  const t = useBillingT();
  const f = useBillingFormats();
  const { can } = useSession();
  const plan = usePlan();
  const mayRead = can('billing:read');
  const mayManage = can('billing:manage');
  const pastDue = plan.data?.status === 'past_due';
  // The grace period's end is on the billing summary (billing:read), fetched only when due.
  const summary = useBillingSummary(pastDue && mayRead);
  const banner = bannerFor(plan.data, summary.data?.grace_ends_at, t, f.day);
  if (!banner) return null;
  const link = mayManage
    ? { to: '/settings/billing', label: banner.kind === 'past_due' ? t('banner.fixPayment') : banner.kind === 'trial' || plan.data?.plan === 'trial' ? t('banner.choosePlan') : t('banner.openBilling') }
    : mayRead
      ? { to: '/settings/billing', label: t('banner.openBilling') }
      : null;
  return (
    <section className="billing-banner" aria-label={t('banner.region')}>
      <Alert color={banner.color} variant="light" data-testid={`billing-banner-${banner.kind}`}>
        <Group justify="space-between" gap="xs">
          <Text size="sm">
            {banner.message}
            {!mayManage && banner.kind !== 'trial' && ` ${t('banner.askOwner')}`}
          </Text>
          {link && (
            <Anchor component={Link} to={link.to} size="sm" fw={600}>
              {link.label}
            </Anchor>
          )}
        </Group>
      </Alert>
    </section>
  );
}
