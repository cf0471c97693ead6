/**
 * Two-step verification: enrol an authenticator app (QR code + manual key, confirmed with a
 * first code), see and regenerate recovery codes, or turn it off.
 */
import { Alert, Badge, Button, Code, Group, Image, Modal, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';

import { api, unwrap, type Schemas } from '../../api/client';
import { ME_KEY } from '../../auth/session';
import { PageHeader, PageSkeleton, Section } from '../../components/common';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useT } from '../../i18n';
import { notifySuccess } from '../../lib/notify';

const MFA_KEY = ['mfa'] as const;

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
    </Stack>
  );
}
