/**
 * Roles: the permissions matrix (permissions × roles). Built-in roles are read-only; custom
 * roles are edited in place (each checkbox saves) and created or deleted here.
 */
import { Badge, Button, Checkbox, Chip, Group, Stack, Table, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';

import { api, orgPath, unwrap, type Schemas } from '../../api/client';
import { ALL_PERMISSIONS, type Permission } from '../../auth/permissions';
import { useOrgId } from '../../auth/session';
import { EmptyState, PageHeader, Section, TableSkeleton } from '../../components/common';
import { ProblemAlert, fieldError } from '../../components/ProblemAlert';
import { useT } from '../../i18n';
import { notifyError, notifySuccess } from '../../lib/notify';

type Role = Schemas['RoleRead'];

function CreateRole({ orgId, onCreated }: { orgId: string; onCreated: () => void }) {
  const t = useT();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [permissions, setPermissions] = useState<string[]>(['organization:read', 'data:read']);
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/organizations/{org_id}/roles', {
          ...orgPath(orgId),
          body: { name: name.trim(), description: description.trim() || null, permissions: permissions as Permission[] },
        }),
      ),
    onSuccess: () => {
      notifySuccess(t('roles.created'));
      setName('');
      setDescription('');
      onCreated();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <ProblemAlert error={create.error} />
        <Group align="flex-end" wrap="wrap">
          <TextInput label={t('roles.name')} value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(create.error, 'name')} required w={240} />
          <TextInput label={t('roles.description')} value={description} onChange={(e) => setDescription(e.currentTarget.value)} w={320} />
        </Group>
        <Chip.Group multiple value={permissions} onChange={setPermissions}>
          <Group gap="xs" role="group" aria-label={t('roles.permission')}>
            {ALL_PERMISSIONS.map((permission) => (
              <Chip key={permission} value={permission} size="xs">
                {permission}
              </Chip>
            ))}
          </Group>
        </Chip.Group>
        <Group>
          <Button type="submit" loading={create.isPending} disabled={!name.trim()}>
            {t('app.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export default function Roles() {
  const t = useT();
  const orgId = useOrgId();
  const client = useQueryClient();
  const key = ['roles', orgId];
  const roles = useQuery({ queryKey: key, queryFn: () => unwrap(api.GET('/api/v1/organizations/{org_id}/roles', { params: { path: { org_id: orgId }, query: { limit: 200 } } })) });
  const refresh = () => client.invalidateQueries({ queryKey: key });
  const toggle = useMutation({
    mutationFn: ({ role, permission, on }: { role: Role; permission: Permission; on: boolean }) => {
      const next = on ? [...role.permissions, permission] : role.permissions.filter((p) => p !== permission);
      return unwrap(
        api.PATCH('/api/v1/organizations/{org_id}/roles/{role_id}', {
          params: { path: { org_id: orgId, role_id: role.id } },
          body: { permissions: next as Permission[] },
        }),
      );
    },
    onSuccess: async () => {
      notifySuccess(t('roles.updated'));
      await refresh();
    },
    onError: (error) => notifyError(error, t('app.errorTitle')),
  });
  const remove = useMutation({
    mutationFn: (role: Role) => unwrap(api.DELETE('/api/v1/organizations/{org_id}/roles/{role_id}', { params: { path: { org_id: orgId, role_id: role.id } } })),
    onSuccess: async () => {
      notifySuccess(t('roles.deleted'));
      await refresh();
    },
    onError: (error) => notifyError(error, t('app.errorTitle')),
  });
  const all = roles.data?.data ?? [];
  const custom = all.filter((role) => !role.builtin);
  return (
    <Stack>
      <PageHeader title={t('roles.title')} subtitle={t('roles.subtitle')} />
      {roles.isLoading && <TableSkeleton rows={8} />}
      <ProblemAlert error={roles.error} />
      {roles.isSuccess && (
        <Section title={t('roles.title')}>
          <Table.ScrollContainer minWidth={200 + all.length * 110}>
            <Table striped withColumnBorders stickyHeader>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('roles.permission')}</Table.Th>
                  {all.map((role) => (
                    <Table.Th key={role.id} scope="col" ta="center">
                      <Stack gap={2} align="center">
                        <Text size="sm" fw={700}>
                          {role.name}
                        </Text>
                        {role.builtin ? (
                          <Badge size="xs" variant="light" color="gray">
                            {t('roles.builtin')}
                          </Badge>
                        ) : (
                          <Button size="compact-xs" variant="subtle" color="red" onClick={() => remove.mutate(role)} aria-label={`${t('app.delete')}: ${role.name}`}>
                            {t('app.delete')}
                          </Button>
                        )}
                      </Stack>
                    </Table.Th>
                  ))}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {ALL_PERMISSIONS.map((permission) => (
                  <Table.Tr key={permission}>
                    <Table.Th scope="row">
                      <code>{permission}</code>
                    </Table.Th>
                    {all.map((role) => {
                      const has = role.permissions.includes(permission);
                      return (
                        <Table.Td key={role.id} ta="center">
                          <Group justify="center">
                            <Checkbox
                              aria-label={`${role.name}: ${permission}`}
                              checked={has}
                              readOnly={role.builtin}
                              disabled={role.builtin || toggle.isPending}
                              onChange={(e) => toggle.mutate({ role, permission, on: e.currentTarget.checked })}
                            />
                          </Group>
                        </Table.Td>
                      );
                    })}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          {custom.length === 0 && (
            <Text size="sm" c="dimmed" mt="sm">
              {t('roles.noCustom')}
            </Text>
          )}
        </Section>
      )}
      <Section title={t('roles.create')}>
        <CreateRole orgId={orgId} onCreated={refresh} />
      </Section>
      {roles.isSuccess && all.length === 0 && <EmptyState>{t('roles.noCustom')}</EmptyState>}
    </Stack>
  );
}
