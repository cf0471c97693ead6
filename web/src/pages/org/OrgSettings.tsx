/**
 * Organization settings: name and retention; the security policy (MFA for everyone, idle and
 * absolute session timeouts, shown with their current values); single sign-on (OpenID
 * Connect) with a "test connection" check.
 */
import { Alert, Anchor, Badge, Button, Checkbox, Code, Group, List, NumberInput, PasswordInput, Select, Stack, Switch, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';

import { api, orgPath, unwrap, type Schemas } from '../../api/client';
import { ApiError } from '../../api/problem';
import { ME_KEY, useOrgId, useSession } from '../../auth/session';
import { PageHeader, PageSkeleton, Section } from '../../components/common';
import { ProblemAlert, fieldError } from '../../components/ProblemAlert';
import { useT } from '../../i18n';
import { notifySuccess } from '../../lib/notify';
import { usePasskeyT } from '../auth/passkeyI18n';

type Organization = Schemas['OrganizationRead'];

function GeneralForm({ org }: { org: Organization }) {
  const t = useT();
  const client = useQueryClient();
  const [name, setName] = useState(org.name);
  const [retention, setRetention] = useState<number | string>(org.data_retention_days);
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH('/api/v1/organizations/{org_id}', {
          ...orgPath(org.id),
          body: { name, data_retention_days: typeof retention === 'number' ? retention : Number(retention) },
        }),
      ),
    onSuccess: async (updated) => {
      client.setQueryData(['organization', org.id], updated);
      await client.invalidateQueries({ queryKey: ME_KEY });
      notifySuccess(t('app.saved'));
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack maw={480}>
        <ProblemAlert error={save.error} />
        <TextInput label={t('org.name')} value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(save.error, 'name')} required />
        <TextInput label={t('org.slug')} value={org.slug} readOnly />
        <NumberInput label={t('org.retention')} value={retention} onChange={setRetention} min={30} max={3650} error={fieldError(save.error, 'data_retention_days')} />
        <Group>
          <Button type="submit" loading={save.isPending}>
            {t('app.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function PolicyForm({ org }: { org: Organization }) {
  const t = useT();
  const pt = usePasskeyT();
  const client = useQueryClient();
  const [mfa, setMfa] = useState(org.mfa_required);
  const [idle, setIdle] = useState<number | string>(org.session_idle_minutes);
  const [absolute, setAbsolute] = useState<number | string>(org.session_absolute_hours);
  const idleValue = typeof idle === 'number' ? idle : Number(idle);
  const absoluteValue = typeof absolute === 'number' ? absolute : Number(absolute);
  const idleTooLong = Number.isFinite(idleValue) && Number.isFinite(absoluteValue) && idleValue > absoluteValue * 60;
  const changed = mfa !== org.mfa_required || idleValue !== org.session_idle_minutes || absoluteValue !== org.session_absolute_hours;
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH('/api/v1/organizations/{org_id}', {
          ...orgPath(org.id),
          body: { mfa_required: mfa, session_idle_minutes: idleValue, session_absolute_hours: absoluteValue },
        }),
      ),
    onSuccess: async (updated) => {
      client.setQueryData(['organization', org.id], updated);
      await client.invalidateQueries({ queryKey: ME_KEY });
      notifySuccess(t('app.saved'));
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!idleTooLong) save.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack maw={480}>
        <Text size="sm" c="dimmed" data-testid="policy-current">
          {pt('orgPolicy.current', {
            idle: org.session_idle_minutes,
            absolute: org.session_absolute_hours,
            mfa: org.mfa_required ? pt('orgPolicy.required') : pt('orgPolicy.optional'),
          })}
        </Text>
        <ProblemAlert error={save.error} />
        <Switch label={t('org.mfaRequired')} description={pt('orgPolicy.mfaHint')} checked={mfa} onChange={(e) => setMfa(e.currentTarget.checked)} />
        <NumberInput
          label={t('org.idle')}
          description={pt('orgPolicy.idleHint')}
          value={idle}
          onChange={setIdle}
          min={5}
          max={1440}
          allowDecimal={false}
          error={fieldError(save.error, 'session_idle_minutes') ?? (idleTooLong ? pt('orgPolicy.idleTooLong') : undefined)}
        />
        <NumberInput
          label={t('org.absolute')}
          description={pt('orgPolicy.absoluteHint')}
          value={absolute}
          onChange={setAbsolute}
          min={1}
          max={720}
          allowDecimal={false}
          error={fieldError(save.error, 'session_absolute_hours')}
        />
        <Group>
          <Button type="submit" loading={save.isPending} disabled={!changed || idleTooLong || idle === '' || absolute === ''}>
            {pt('orgPolicy.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

const SSO_ROLES = ['viewer', 'analyst', 'admin'] as const;

function SsoForm({ orgId }: { orgId: string }) {
  const client = useQueryClient();
  const key = ['sso', orgId];
  const connection = useQuery({
    queryKey: key,
    queryFn: async () => {
      try {
        return await unwrap(api.GET('/api/v1/organizations/{org_id}/sso', orgPath(orgId)));
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
  });
  if (connection.isLoading) return <PageSkeleton rows={1} />;
  if (connection.isError) return <ProblemAlert error={connection.error} />;
  return <SsoEditor orgId={orgId} current={connection.data ?? null} onChange={() => client.invalidateQueries({ queryKey: key })} />;
}

function SsoEditor({ orgId, current, onChange }: { orgId: string; current: Schemas['SsoConnectionRead'] | null; onChange: () => void }) {
  const t = useT();
  const [issuer, setIssuer] = useState(current?.issuer ?? '');
  const [clientId, setClientId] = useState(current?.client_id ?? '');
  const [secret, setSecret] = useState('');
  const [domains, setDomains] = useState((current?.allowed_domains ?? []).join(', '));
  const [role, setRole] = useState<string>(current?.default_role ?? 'viewer');
  const [enabled, setEnabled] = useState(current?.enabled ?? true);
  const [enforced, setEnforced] = useState(current?.enforced ?? false);
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PUT('/api/v1/organizations/{org_id}/sso', {
          ...orgPath(orgId),
          body: {
            issuer: issuer.trim(),
            client_id: clientId.trim(),
            ...(secret ? { client_secret: secret } : {}),
            allowed_domains: domains.split(/[\s,]+/).filter(Boolean),
            default_role: role as (typeof SSO_ROLES)[number],
            enabled,
            enforced,
          },
        }),
      ),
    onSuccess: () => {
      setSecret('');
      notifySuccess(t('app.saved'));
      onChange();
    },
  });
  const test = useMutation({ mutationFn: () => unwrap(api.POST('/api/v1/organizations/{org_id}/sso/test', orgPath(orgId))) });
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/organizations/{org_id}/sso', orgPath(orgId))),
    onSuccess: onChange,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <Stack maw={560}>
      {!current && <Text size="sm">{t('sso.none')}</Text>}
      {current && (
        <Stack gap={4}>
          <Text size="sm" fw={600}>
            {t('sso.redirect')}
          </Text>
          <Code className="mono">{current.redirect_uri}</Code>
          <Text size="sm" fw={600}>
            {t('sso.loginUrl')}
          </Text>
          <Anchor href={current.login_url} size="sm" className="mono">
            {current.login_url}
          </Anchor>
        </Stack>
      )}
      <form onSubmit={submit} noValidate>
        <Stack>
          <ProblemAlert error={save.error} />
          <TextInput label={t('sso.issuer')} placeholder="https://acme.okta.com" value={issuer} onChange={(e) => setIssuer(e.currentTarget.value)} error={fieldError(save.error, 'issuer')} required />
          <TextInput label={t('sso.clientId')} value={clientId} onChange={(e) => setClientId(e.currentTarget.value)} error={fieldError(save.error, 'client_id')} required />
          <PasswordInput
            label={t('sso.clientSecret')}
            description={current?.has_client_secret ? t('sso.secretKept') : undefined}
            value={secret}
            onChange={(e) => setSecret(e.currentTarget.value)}
            error={fieldError(save.error, 'client_secret')}
            autoComplete="off"
          />
          <TextInput label={t('sso.domains')} placeholder="acme.com" value={domains} onChange={(e) => setDomains(e.currentTarget.value)} error={fieldError(save.error, 'allowed_domains')} />
          <Select label={t('sso.defaultRole')} data={[...SSO_ROLES]} value={role} onChange={(v) => v && setRole(v)} allowDeselect={false} />
          <Switch label={t('sso.enabled')} checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
          <Checkbox label={t('sso.enforced')} checked={enforced} onChange={(e) => setEnforced(e.currentTarget.checked)} />
          <Group>
            <Button type="submit" loading={save.isPending}>
              {t('app.save')}
            </Button>
            {current && (
              <>
                <Button variant="default" onClick={() => test.mutate()} loading={test.isPending}>
                  {t('sso.test')}
                </Button>
                <Button variant="subtle" color="red" onClick={() => remove.mutate()} loading={remove.isPending}>
                  {t('sso.remove')}
                </Button>
              </>
            )}
          </Group>
        </Stack>
      </form>
      <ProblemAlert error={test.error ?? remove.error} />
      {test.data && (
        <Alert color={test.data.ok ? 'green' : 'red'} title={test.data.ok ? t('sso.testOk') : t('sso.testFail')} role="status">
          <List spacing={4} size="sm">
            {test.data.checks.map((check) => (
              <List.Item key={check.name}>
                <Group gap="xs" wrap="nowrap" align="flex-start">
                  <Badge size="sm" color={{ pass: 'green', warn: 'yellow', fail: 'red', skip: 'gray' }[check.status]}>
                    {check.status}
                  </Badge>
                  <Text size="sm">
                    <strong>{check.name}</strong>: {check.detail}
                  </Text>
                </Group>
              </List.Item>
            ))}
          </List>
        </Alert>
      )}
    </Stack>
  );
}

export default function OrgSettings() {
  const t = useT();
  const orgId = useOrgId();
  const { can } = useSession();
  const org = useQuery({
    queryKey: ['organization', orgId],
    queryFn: () => unwrap(api.GET('/api/v1/organizations/{org_id}', orgPath(orgId))),
  });
  return (
    <Stack>
      <PageHeader title={t('org.title')} />
      {org.isLoading && <PageSkeleton />}
      {org.isError && <ProblemAlert error={org.error} />}
      {org.data && (
        <>
          <Section title={t('org.name')}>
            <GeneralForm org={org.data} />
          </Section>
          <Section title={t('org.security')}>
            <PolicyForm org={org.data} />
          </Section>
          {can('sso:manage') && (
            <Section title={t('sso.title')}>
              <SsoForm orgId={orgId} />
            </Section>
          )}
        </>
      )}
    </Stack>
  );
}
