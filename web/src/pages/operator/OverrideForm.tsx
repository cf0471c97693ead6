/**
 * The form of a new entitlement or quota override: its kind (a quota limit, a brain module,
 * a feature, a trial extension), what it applies to, the value (a limit or unlimited, days
 * added to the trial; modules and features are simply turned on), when it expires and why.
 * It checks what the API checks before sending, and shows the API's field errors too.
 */
import { Button, Checkbox, Group, NumberInput, Select, Stack, Textarea, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';

import { fieldError, ProblemAlert } from '../../components/ProblemAlert';
import { useT } from '../../i18n';
import { FEATURES, MODULES, QUOTAS } from '../billing/catalog';
import { billingLabel, useBillingT } from '../billing/i18n';
import type { OverrideBody, OverrideKind } from './api';
import { useOperatorT, type OperatorKey } from './i18n';

export const OVERRIDE_KINDS: OverrideKind[] = ['quota', 'module', 'feature', 'trial'];
export const MAX_TRIAL_DAYS = 365;

export interface OverrideDraft {
  kind: OverrideKind | '';
  key: string;
  /** The quota's new limit (digits), unless `unlimited`. */
  limit: string;
  unlimited: boolean;
  /** Days added to the trial (digits). */
  days: string;
  /** A `datetime-local` value (the operator's local time). */
  expires: string;
  reason: string;
}

export type DraftField = 'kind' | 'key' | 'value' | 'expires' | 'reason';

/** The keys a kind can override. */
export function keysFor(kind: OverrideKind | ''): string[] {
  if (kind === 'quota') return QUOTAS;
  if (kind === 'module') return MODULES;
  if (kind === 'feature') return FEATURES;
  if (kind === 'trial') return ['trial'];
  return [];
}

function wholeNumber(text: string): number | null {
  const trimmed = text.trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : null;
}

/** A `datetime-local` value `days` from `now`, in local time (the default expiry). */
export function localDateTime(now: Date, days = 30): string {
  const at = new Date(now.getTime() + days * 86_400_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

export function emptyDraft(now: Date = new Date()): OverrideDraft {
  return { kind: 'quota', key: '', limit: '', unlimited: false, days: '14', expires: localDateTime(now), reason: '' };
}

/**
 * The draft's errors (by field, as message keys) or the API body when it has none; the same
 * rules as the API (a limit >= 0 or unlimited, 1-365 trial days, a future expiry, a 3-500
 * character reason).
 */
export function validateOverride(draft: OverrideDraft, now: Date = new Date()): { errors: Partial<Record<DraftField, OperatorKey>>; body: OverrideBody | null } {
  const errors: Partial<Record<DraftField, OperatorKey>> = {};
  const kind = draft.kind;
  if (!kind) errors.kind = 'overrides.err.kind';
  const key = kind === 'trial' ? 'trial' : draft.key;
  if (kind && !keysFor(kind).includes(key)) errors.key = 'overrides.err.key';
  let value: number | null = null;
  if (kind === 'quota' && !draft.unlimited) {
    value = wholeNumber(draft.limit);
    if (value === null) errors.value = 'overrides.err.limit';
  } else if (kind === 'trial') {
    value = wholeNumber(draft.days);
    if (value === null || value < 1 || value > MAX_TRIAL_DAYS) errors.value = 'overrides.err.days';
  } else if (kind === 'module' || kind === 'feature') {
    value = 1;
  }
  const expires = draft.expires ? new Date(draft.expires) : null;
  if (!expires || Number.isNaN(expires.getTime()) || expires.getTime() <= now.getTime()) errors.expires = 'overrides.err.expires';
  const reason = draft.reason.trim();
  if (reason.length < 3 || reason.length > 500) errors.reason = 'overrides.err.reason';
  if (Object.keys(errors).length > 0 || !kind || !expires) return { errors, body: null };
  return { errors, body: { kind, key, value, expires_at: expires.toISOString(), reason } };
}

export function OverrideForm({
  onSubmit,
  onCancel,
  pending,
  error,
  now,
}: {
  onSubmit: (body: OverrideBody) => void;
  onCancel: () => void;
  pending: boolean;
  /** The API's answer to the last submit (its field errors are shown on the fields). */
  error: unknown;
  now?: Date;
}) {
  const t = useOperatorT();
  const bt = useBillingT();
  const appT = useT();
  const [draft, setDraft] = useState<OverrideDraft>(() => emptyDraft(now));
  const [shown, setShown] = useState<Partial<Record<DraftField, OperatorKey>>>({});
  const set = (patch: Partial<OverrideDraft>) => setDraft((current) => ({ ...current, ...patch }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const { errors, body } = validateOverride(draft, now ?? new Date());
    setShown(errors);
    if (body) onSubmit(body);
  };
  const message = (field: DraftField, ...apiFields: string[]) => {
    const local = shown[field];
    if (local) return t(local);
    for (const name of apiFields) {
      const server = fieldError(error, name);
      if (server) return server;
    }
    return undefined;
  };
  const keyLabel = (key: string) => billingLabel(bt, draft.kind || 'quota', key);
  return (
    <form onSubmit={submit} noValidate aria-label={t('overrides.add')}>
      <Stack>
        <ProblemAlert error={error} />
        <Select
          label={t('overrides.kind')}
          data={OVERRIDE_KINDS.map((kind) => ({ value: kind, label: t(`overrides.kind.${kind}` as OperatorKey) }))}
          value={draft.kind || null}
          onChange={(value) => set({ kind: (value as OverrideKind | null) ?? '', key: value === 'trial' ? 'trial' : '' })}
          allowDeselect={false}
          error={message('kind', 'kind')}
          required
        />
        {draft.kind && draft.kind !== 'trial' && (
          <Select
            label={t('overrides.key')}
            data={keysFor(draft.kind).map((key) => ({ value: key, label: keyLabel(key) }))}
            value={draft.key || null}
            onChange={(value) => set({ key: value ?? '' })}
            allowDeselect={false}
            searchable
            error={message('key', 'key')}
            required
          />
        )}
        {draft.kind === 'quota' && (
          <Group align="flex-end" gap="md">
            <NumberInput
              label={t('overrides.limit')}
              value={draft.limit}
              onChange={(value) => set({ limit: String(value) })}
              min={0}
              allowDecimal={false}
              allowNegative={false}
              disabled={draft.unlimited}
              error={message('value', 'value')}
              required={!draft.unlimited}
              w={200}
            />
            <Checkbox label={t('overrides.unlimited')} checked={draft.unlimited} onChange={(e) => set({ unlimited: e.currentTarget.checked })} mb={8} />
          </Group>
        )}
        {draft.kind === 'trial' && (
          <NumberInput
            label={t('overrides.days')}
            value={draft.days}
            onChange={(value) => set({ days: String(value) })}
            min={1}
            max={MAX_TRIAL_DAYS}
            allowDecimal={false}
            allowNegative={false}
            error={message('value', 'value')}
            required
            w={200}
          />
        )}
        <TextInput
          type="datetime-local"
          label={t('overrides.expires')}
          description={t('overrides.expiresHelp')}
          value={draft.expires}
          onChange={(e) => set({ expires: e.currentTarget.value })}
          error={message('expires', 'expires_at', 'until')}
          required
          w={260}
        />
        <Textarea
          label={t('overrides.reason')}
          description={t('overrides.reasonHelp')}
          value={draft.reason}
          onChange={(e) => set({ reason: e.currentTarget.value })}
          error={message('reason', 'reason')}
          maxLength={500}
          autosize
          minRows={2}
          required
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {appT('app.cancel')}
          </Button>
          <Button type="submit" loading={pending}>
            {t('overrides.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
