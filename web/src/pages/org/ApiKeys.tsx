/** API keys: create (the secret is shown once, in a dialog), list, revoke. */
import { Badge, Button, Code, CopyButton, Group, Modal, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';

import { api, orgPath, unwrap, type Schemas } from '../../api/client';
import { useOrgId } from '../../auth/session';
import { EmptyState, PageHeader, Section, TableSkeleton, useFormatDate } from '../../components/common';
import { ProblemAlert, fieldError } from '../../components/ProblemAlert';
import { useT } from '../../i18n';
import { notifyError, notifySuccess } from '../../lib/notify';

type KeyRole = Schemas['ApiKeyRole'];

export default function ApiKeys() {
  const t = useT();
  const orgId = useOrgId();
  const client = useQueryClient();
  const format = useFormatDate();
  const key = ['api-keys', orgId];
  const [name, setName] = useState('');
  const [role, setRole] = useState<KeyRole>('viewer');
  const [secret, setSecret] = useState<string | null>(null);
  const keys = useQuery({ queryKey: key, queryFn: () => unwrap(api.GET('/api/v1/organizations/{org_id}/api-keys', { params: { path: { org_id: orgId }, query: { limit: 200 } } })) });
  const create = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/organizations/{org_id}/api-keys', { ...orgPath(orgId), body: { name: name.trim(), role } })),
    onSuccess: async (created) => {
      setSecret(created.api_key);
      setName('');
      await client.invalidateQueries({ queryKey: key });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/organizations/{org_id}/api-keys/{key_id}', { params: { path: { org_id: orgId, key_id: id } } })),
    onSuccess: async () => {
      notifySuccess(t('keys.revoked'));
      await client.invalidateQueries({ queryKey: key });
    },
    onError: (error) => notifyError(error, t('app.errorTitle')),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  const rows = keys.data?.data ?? [];
  return (
    <Stack>
      <PageHeader title={t('keys.title')} subtitle={t('keys.subtitle')} />
      <Modal opened={secret !== null} onClose={() => setSecret(null)} title={t('keys.createdTitle')} closeOnClickOutside={false}>
        <Stack>
          <Text size="sm">{t('keys.createdBody')}</Text>
          <Code block className="mono" data-testid="new-api-key">
            {secret}
          </Code>
          <Group>
            <CopyButton value={secret ?? ''}>
              {({ copied, copy }) => (
                <Button variant="light" onClick={copy}>
                  {copied ? t('app.copied') : t('app.copy')}
                </Button>
              )}
            </CopyButton>
            <Button onClick={() => setSecret(null)}>{t('app.close')}</Button>
          </Group>
        </Stack>
      </Modal>
      <Section title={t('keys.create')}>
        <form onSubmit={submit} noValidate>
          <Stack>
            <ProblemAlert error={create.error} />
            <Group align="flex-end" wrap="wrap">
              <TextInput label={t('keys.name')} value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(create.error, 'name')} required w={280} />
              <Select label={t('keys.role')} data={['viewer', 'analyst', 'admin']} value={role} onChange={(v) => v && setRole(v as KeyRole)} allowDeselect={false} w={160} />
              <Button type="submit" loading={create.isPending} disabled={!name.trim()}>
                {t('keys.create')}
              </Button>
            </Group>
          </Stack>
        </form>
      </Section>
      <Section title={t('keys.title')}>
        {keys.isLoading && <TableSkeleton />}
        <ProblemAlert error={keys.error} />
        {keys.isSuccess && rows.length === 0 && <EmptyState>{t('keys.empty')}</EmptyState>}
        {rows.length > 0 && (
          <Table.ScrollContainer minWidth={620}>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('keys.name')}</Table.Th>
                  <Table.Th>{t('keys.prefix')}</Table.Th>
                  <Table.Th>{t('keys.role')}</Table.Th>
                  <Table.Th>{t('keys.lastUsed')}</Table.Th>
                  <Table.Th>
                    <span className="visually-hidden">{t('keys.revoke')}</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((row) => (
                  <Table.Tr key={row.id}>
                    <Table.Td>{row.name}</Table.Td>
                    <Table.Td>
                      <code>{row.prefix}…</code>
                    </Table.Td>
                    <Table.Td>{row.role}</Table.Td>
                    <Table.Td>{format(row.last_used_at)}</Table.Td>
                    <Table.Td>
                      {row.revoked_at ? (
                        <Badge color="gray" variant="light">
                          {t('keys.revokedAt')}
                        </Badge>
                      ) : (
                        <Button size="xs" variant="subtle" color="red" onClick={() => revoke.mutate(row.id)} aria-label={`${t('keys.revoke')}: ${row.name}`}>
                          {t('keys.revoke')}
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Section>
    </Stack>
  );
}
