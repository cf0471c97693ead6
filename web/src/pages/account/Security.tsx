/**
 * Two-step verification: enrol an authenticator app (QR code + manual key, confirmed with a
 * first code), see and regenerate recovery codes, or turn it off; and passkeys: add one
 * (`navigator.credentials.create`), list, rename and remove them. Adding or removing a passkey
 * long after logging in asks for the password or a code first (403 `reauthentication-required`).
 */
import { Alert, Badge, Button, Code, Group, Image, Modal, PasswordInput, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';

import { api, unwrap, type Schemas } from '../../api/client';
import { ApiError } from '../../api/problem';
import { ME_KEY } from '../../auth/session';
import { EmptyState, PageHeader, PageSkeleton, Section, TableSkeleton, useFormatDate } from '../../components/common';
import { ProblemAlert, fieldError } from '../../components/ProblemAlert';
import { useT } from '../../i18n';
import { notifySuccess } from '../../lib/notify';
import { usePasskeyT } from '../auth/passkeyI18n';
import { PasskeyCancelled, createPasskey, passkeysSupported, type JsonObject } from '../auth/webauthn';

const MFA_KEY = ['mfa'] as const;
const PASSKEYS_KEY = ['passkeys'] as const;

type Passkey = Schemas['PasskeyRead'];
type Reauth = { password?: string; code?: string };

export function svgDataUri(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

function RecoveryCodesModal({ codes, onClose }: { codes: string[]; onClose: () => void }) {
  const t = useT();
  return (
    <Modal opened onClose={onClose} title={t('security.codesTitle')} closeOnClickOutside={false}>
      <Stack>
        <Text size="sm">{t('security.codesBody')}</Text>
        <SimpleGrid cols={2} data-testid="recovery-codes">
          {codes.map((code) => (
            <Code key={code} fz="md">
              {code}
            </Code>
          ))}
        </SimpleGrid>
        <Button onClick={onClose}>{t('security.codesDone')}</Button>
      </Stack>
    </Modal>
  );
}

function CodeForm({ label, onSubmit, pending, error, danger }: { label: string; onSubmit: (code: string) => void; pending: boolean; error: unknown; danger?: boolean }) {
  const t = useT();
  const [code, setCode] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit(code.trim());
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="xs" maw={360}>
        <ProblemAlert error={error} />
        <TextInput label={t('auth.mfaCode')} description={t('security.codeFor')} autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.currentTarget.value)} />
        <Group>
          <Button type="submit" color={danger ? 'red' : undefined} variant={danger ? 'outline' : 'filled'} loading={pending}>
            {label}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function Enrol({ onCodes }: { onCodes: (codes: string[]) => void }) {
  const t = useT();
  const client = useQueryClient();
  const [setup, setSetup] = useState<Schemas['TotpSetup'] | null>(null);
  const start = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/auth/mfa/totp/setup')),
    onSuccess: setSetup,
  });
  const confirm = useMutation({
    mutationFn: (code: string) => unwrap(api.POST('/api/v1/auth/mfa/totp/confirm', { body: { code } })),
    onSuccess: async (result) => {
      onCodes(result.recovery_codes);
      notifySuccess(t('security.enabled'));
      await client.invalidateQueries({ queryKey: MFA_KEY });
      await client.invalidateQueries({ queryKey: ME_KEY });
    },
  });
  if (!setup) {
    return (
      <Stack align="flex-start">
        <ProblemAlert error={start.error} />
        <Button onClick={() => start.mutate()} loading={start.isPending}>
          {t('security.setup')}
        </Button>
      </Stack>
    );
  }
  return (
    <Stack>
      <Text size="sm">{t('security.scan')}</Text>
      <Image src={svgDataUri(setup.qr_svg)} alt={t('security.qrAlt')} className="qr-code" w={200} h={200} />
      <Text size="sm">{t('security.secret')}</Text>
      <Code className="mono" data-testid="totp-secret">
        {setup.secret}
      </Code>
      <CodeForm label={t('security.confirm')} onSubmit={(code) => confirm.mutate(code)} pending={confirm.isPending} error={confirm.error} />
    </Stack>
  );
}

function Manage({ status, onCodes }: { status: Schemas['MfaStatus']; onCodes: (codes: string[]) => void }) {
  const t = useT();
  const client = useQueryClient();
  const regenerate = useMutation({
    mutationFn: (code: string) => unwrap(api.POST('/api/v1/auth/mfa/recovery-codes', { body: { code } })),
    onSuccess: async (result) => {
      onCodes(result.recovery_codes);
      await client.invalidateQueries({ queryKey: MFA_KEY });
    },
  });
  const disable = useMutation({
    mutationFn: (code: string) => unwrap(api.DELETE('/api/v1/auth/mfa/totp', { body: code ? { code } : null })),
    onSuccess: async () => {
      notifySuccess(t('security.disabled'));
      await client.invalidateQueries({ queryKey: MFA_KEY });
      await client.invalidateQueries({ queryKey: ME_KEY });
    },
  });
  return (
    <Stack gap="lg">
      <Text size="sm">{t('security.recoveryLeft', { n: status.recovery_codes_remaining })}</Text>
      <div>
        <Text fw={600} mb="xs">
          {t('security.regenerate')}
        </Text>
        <CodeForm label={t('security.regenerate')} onSubmit={(code) => regenerate.mutate(code)} pending={regenerate.isPending} error={regenerate.error} />
      </div>
      <div>
        <Text fw={600} mb="xs">
          {t('security.disable')}
        </Text>
        <CodeForm label={t('security.disable')} onSubmit={(code) => disable.mutate(code)} pending={disable.isPending} error={disable.error} danger />
      </div>
    </Stack>
  );
}

export function needsReauthentication(error: unknown): boolean {
  return error instanceof ApiError && error.kind === 'reauthentication-required';
}

/** Asks for the password or an authenticator code, then runs `onProof` with it. */
function ReauthModal({ accepted, onProof, onClose, pending, error }: { accepted: string[]; onProof: (proof: Reauth) => void; onClose: () => void; pending: boolean; error: unknown }) {
  const pt = usePasskeyT();
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onProof(code.trim() ? { code: code.trim() } : { password });
  };
  const showPassword = accepted.length === 0 || accepted.includes('password');
  const showCode = accepted.includes('code');
  return (
    <Modal opened onClose={onClose} title={pt('passkey.reauthTitle')}>
      <form onSubmit={submit} noValidate>
        <Stack>
          <Text size="sm">{pt('passkey.reauthBody')}</Text>
          {!needsReauthentication(error) && <ProblemAlert error={error} />}
          {showPassword && (
            <PasswordInput
              label={pt('passkey.reauthPassword')}
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
              error={fieldError(error, 'password')}
              data-autofocus
            />
          )}
          {showCode && (
            <TextInput label={pt('passkey.reauthCode')} autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.currentTarget.value)} />
          )}
          <Group>
            <Button type="submit" loading={pending} disabled={!password && !code.trim()}>
              {pt('passkey.reauthConfirm')}
            </Button>
            <Button variant="default" onClick={onClose}>
              {pt('passkey.cancel')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function accepted(error: unknown): string[] {
  if (!(error instanceof ApiError)) return [];
  const value = error.problem.accepted;
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function PasskeyError({ error }: { error: unknown }) {
  const pt = usePasskeyT();
  if (!error || needsReauthentication(error)) return null;
  if (error instanceof PasskeyCancelled) {
    return (
      <Alert color="yellow" role="alert">
        {pt('passkey.cancelled')}
      </Alert>
    );
  }
  return <ProblemAlert error={error} />;
}

function AddPasskey({ onAdded }: { onAdded: () => Promise<void> }) {
  const pt = usePasskeyT();
  const [name, setName] = useState('');
  const add = useMutation({
    mutationFn: async (proof: Reauth | null) => {
      const options = await unwrap(api.POST('/api/v1/auth/webauthn/register/options', { body: proof ?? undefined }));
      const credential = await createPasskey(options.public_key as JsonObject);
      return unwrap(
        api.POST('/api/v1/auth/webauthn/register/verify', {
          body: { ceremony_id: options.ceremony_id, credential, ...(name.trim() ? { name: name.trim() } : {}) },
        }),
      );
    },
    onSuccess: async () => {
      setName('');
      notifySuccess(pt('passkey.added'));
      await onAdded();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate(null);
  };
  if (!passkeysSupported()) return <Alert color="gray">{pt('passkey.unsupported')}</Alert>;
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="xs" maw={420}>
        <PasskeyError error={add.error} />
        {add.isPending && (
          <Text size="sm" c="dimmed" role="status">
            {pt('passkey.waiting')}
          </Text>
        )}
        <TextInput label={pt('passkey.nameLabel')} description={pt('passkey.nameHint')} value={name} maxLength={100} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(add.error, 'name')} />
        <Group>
          <Button type="submit" loading={add.isPending}>
            {pt('passkey.add')}
          </Button>
        </Group>
      </Stack>
      {needsReauthentication(add.error) && (
        <ReauthModal accepted={accepted(add.error)} onProof={(proof) => add.mutate(proof)} onClose={() => add.reset()} pending={add.isPending} error={add.error} />
      )}
    </form>
  );
}

function PasskeyRow({ passkey, onChanged }: { passkey: Passkey; onChanged: () => Promise<void> }) {
  const pt = usePasskeyT();
  const formatDate = useFormatDate();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(passkey.name);
  const path = { params: { path: { passkey_id: passkey.id } } };
  const rename = useMutation({
    mutationFn: () => unwrap(api.PATCH('/api/v1/auth/webauthn/credentials/{passkey_id}', { ...path, body: { name: name.trim() } })),
    onSuccess: async () => {
      setEditing(false);
      notifySuccess(pt('passkey.renamed'));
      await onChanged();
    },
  });
  const remove = useMutation({
    mutationFn: (proof: Reauth | null) => unwrap(api.DELETE('/api/v1/auth/webauthn/credentials/{passkey_id}', { ...path, body: proof ?? undefined })),
    onSuccess: async () => {
      notifySuccess(pt('passkey.deleted'));
      await onChanged();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    rename.mutate();
  };
  return (
    <Stack gap={6} data-testid="passkey-row" component="li" style={{ listStyle: 'none' }}>
      {editing ? (
        <form onSubmit={submit} noValidate>
          <Group align="flex-end">
            <TextInput
              label={pt('passkey.renameLabel', { name: passkey.name })}
              value={name}
              maxLength={100}
              onChange={(e) => setName(e.currentTarget.value)}
              error={fieldError(rename.error, 'name')}
              data-autofocus
              autoFocus
            />
            <Button type="submit" loading={rename.isPending} disabled={!name.trim()}>
              {pt('passkey.save')}
            </Button>
            <Button variant="default" onClick={() => setEditing(false)}>
              {pt('passkey.cancel')}
            </Button>
          </Group>
        </form>
      ) : (
        <Group justify="space-between" wrap="wrap">
          <Stack gap={2}>
            <Group gap="xs">
              <Text fw={600}>{passkey.name}</Text>
              <Badge variant="light" color={passkey.device_type === 'multi_device' ? 'blue' : 'gray'}>
                {passkey.device_type === 'multi_device' ? pt('passkey.synced') : pt('passkey.deviceBound')}
              </Badge>
            </Group>
            <Text size="sm" c="dimmed">
              {pt('passkey.created', { date: formatDate(passkey.created_at) })} ·{' '}
              {passkey.last_used_at ? pt('passkey.lastUsed', { date: formatDate(passkey.last_used_at) }) : pt('passkey.neverUsed')}
            </Text>
          </Stack>
          <Group gap="xs">
            <Button variant="default" size="xs" onClick={() => setEditing(true)} aria-label={pt('passkey.renameLabel', { name: passkey.name })}>
              {pt('passkey.rename')}
            </Button>
            <Button variant="outline" color="red" size="xs" loading={remove.isPending} onClick={() => remove.mutate(null)} aria-label={pt('passkey.deleteLabel', { name: passkey.name })}>
              {pt('passkey.delete')}
            </Button>
          </Group>
        </Group>
      )}
      <ProblemAlert error={rename.error} />
      <PasskeyError error={remove.error} />
      {needsReauthentication(remove.error) && (
        <ReauthModal accepted={accepted(remove.error)} onProof={(proof) => remove.mutate(proof)} onClose={() => remove.reset()} pending={remove.isPending} error={remove.error} />
      )}
    </Stack>
  );
}

function Passkeys() {
  const pt = usePasskeyT();
  const client = useQueryClient();
  const list = useQuery({ queryKey: PASSKEYS_KEY, queryFn: () => unwrap(api.GET('/api/v1/auth/webauthn/credentials')) });
  const refresh = async () => {
    await client.invalidateQueries({ queryKey: PASSKEYS_KEY });
    await client.invalidateQueries({ queryKey: MFA_KEY });
    await client.invalidateQueries({ queryKey: ME_KEY });
  };
  const passkeys = list.data?.data ?? [];
  return (
    <Section title={pt('passkey.title')}>
      <Stack>
        <Text size="sm">{pt('passkey.intro')}</Text>
        {list.isLoading && <TableSkeleton rows={2} />}
        {list.isError && <ProblemAlert error={list.error} />}
        {list.data && passkeys.length === 0 && <EmptyState>{pt('passkey.empty')}</EmptyState>}
        {passkeys.length > 0 && (
          <Stack component="ul" gap="md" p={0} m={0} aria-label={pt('passkey.listLabel')}>
            {passkeys.map((passkey) => (
              <PasskeyRow key={passkey.id} passkey={passkey} onChanged={refresh} />
            ))}
          </Stack>
        )}
        <AddPasskey onAdded={refresh} />
      </Stack>
    </Section>
  );
}

export default function Security() {
  const t = useT();
  const [codes, setCodes] = useState<string[] | null>(null);
  const status = useQuery({ queryKey: MFA_KEY, queryFn: () => unwrap(api.GET('/api/v1/auth/mfa')) });
  return (
    <Stack>
      <PageHeader title={t('security.title')} />
      {codes && <RecoveryCodesModal codes={codes} onClose={() => setCodes(null)} />}
      {status.isLoading && <PageSkeleton rows={1} />}
      {status.isError && <ProblemAlert error={status.error} />}
      {status.data && (
        <Section title={t('security.title')}>
          <Stack>
            <Group>
              <Badge color={status.data.totp_enabled ? 'green' : 'gray'} variant="light" size="lg">
                {status.data.totp_enabled ? t('security.badgeOn') : t('security.badgeOff')}
              </Badge>
              <Text size="sm">{status.data.totp_enabled ? t('security.on') : t('security.off')}</Text>
            </Group>
            {status.data.totp_enabled ? <Manage status={status.data} onCodes={setCodes} /> : <Enrol onCodes={setCodes} />}
          </Stack>
        </Section>
      )}
      {!status.data && !status.isLoading && !status.isError && (
        <Alert>{t('security.off')}</Alert>
      )}
      <Passkeys />
    </Stack>
  );
}
