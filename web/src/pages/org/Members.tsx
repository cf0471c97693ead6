/**
 * Members and invitations: change a member's role (built-in or custom), restrict them to
 * granted resources, reset their MFA, remove them; invite by email; revoke pending invites.
 */
import { Badge, Button, Drawer, Group, Select, Stack, Switch, Table, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';

import { api, orgPath, unwrap, type Schemas } from '../../api/client';
import { useOrgId, useSession } from '../../auth/session';
import { EmptyState, PageHeader, Section, TableSkeleton, useFormatDate } from '../../components/common';
import { ProblemAlert, fieldError } from '../../components/ProblemAlert';
import { useT } from '../../i18n';
import { notifyError, notifySuccess } from '../../lib/notify';

type Member = Schemas['MemberRead'];
const BUILTIN = ['owner', 'admin', 'analyst', 'viewer'];

function useRoleOptions(orgId: string) {
  const { can } = useSession();
  const roles = useQuery({
    queryKey: ['roles', orgId],
    queryFn: () => unwrap(api.GET('/api/v1/organizations/{org_id}/roles', { params: { path: { org_id: orgId }, query: { limit: 200 } } })),
    enabled: can('roles:manage'),
  });
  const custom = (roles.data?.data ?? []).filter((role) => !role.builtin);
  return [
    ...BUILTIN.map((role) => ({ value: role, label: role })),
    ...custom.map((role) => ({ value: `custom:${role.id}`, label: role.name })),
  ];
}

function roleBody(value: string): { role?: 'owner' | 'admin' | 'analyst' | 'viewer'; custom_role_id?: string } {
  if (value.startsWith('custom:')) return { custom_role_id: value.slice('custom:'.length) };
  return { role: value as 'owner' | 'admin' | 'analyst' | 'viewer' };
}

function InviteForm({ orgId, roleOptions }: { orgId: string; roleOptions: { value: string; label: string }[] }) {
  const t = useT();
  const client = useQueryClient();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('viewer');
  const invite = useMutation({
    mutationFn: () =>
      unwrap(api.POST('/api/v1/organizations/{org_id}/invites', { ...orgPath(orgId), body: { email: email.trim(), ...roleBody(role) } })),
    onSuccess: async (created) => {
      notifySuccess(t('members.inviteSent', { email: created.email }));
      setEmail('');
      await client.invalidateQueries({ queryKey: ['invites', orgId] });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    invite.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <ProblemAlert error={invite.error} />
        <Group align="flex-end" wrap="wrap">
          <TextInput label={t('members.email')} type="email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={fieldError(invite.error, 'email')} required w={280} />
          <Select label={t('members.role')} data={roleOptions.filter((o) => o.value !== 'owner')} value={role} onChange={(v) => v && setRole(v)} allowDeselect={false} w={180} />
          <Button type="submit" loading={invite.isPending}>
            {t('members.invite')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function Grants({ orgId, member }: { orgId: string; member: Member }) {
  const t = useT();
  const client = useQueryClient();
  const key = ['grants', orgId, member.id];
  const path = { org_id: orgId, member_id: member.id };
  const grants = useQuery({ queryKey: key, queryFn: () => unwrap(api.GET('/api/v1/organizations/{org_id}/members/{member_id}/grants', { params: { path, query: { limit: 200 } } })) });
  const [type, setType] = useState<'channel'>('channel');
  const [resourceId, setResourceId] = useState('');
  const restrict = useMutation({
    mutationFn: (restricted: boolean) => unwrap(api.PATCH('/api/v1/organizations/{org_id}/members/{member_id}', { params: { path }, body: { restricted } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['members', orgId] }),
    onError: (error) => notifyError(error, t('app.errorTitle')),
  });
  const add = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/organizations/{org_id}/members/{member_id}/grants', { params: { path }, body: { resource_type: type, resource_id: resourceId.trim() } })),
    onSuccess: async () => {
      setResourceId('');
      await client.invalidateQueries({ queryKey: key });
    },
  });
  const remove = useMutation({
    mutationFn: (grantId: string) => unwrap(api.DELETE('/api/v1/organizations/{org_id}/members/{member_id}/grants/{grant_id}', { params: { path: { ...path, grant_id: grantId } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: key }),
    onError: (error) => notifyError(error, t('app.errorTitle')),
  });
  return (
    <Stack>
      <Switch label={t('members.restricted')} checked={member.restricted} onChange={(e) => restrict.mutate(e.currentTarget.checked)} />
      {grants.isLoading && <TableSkeleton rows={2} />}
      <ProblemAlert error={grants.error} />
      {grants.data?.data.length === 0 && <EmptyState>{t('members.noGrants')}</EmptyState>}
      {grants.data?.data.map((grant) => (
        <Group key={grant.id} justify="space-between">
          <Text size="sm">
            {grant.resource_type}: <span className="mono">{grant.resource_id}</span>
          </Text>
          <Button size="xs" variant="subtle" color="red" onClick={() => remove.mutate(grant.id)}>
            {t('app.delete')}
          </Button>
        </Group>
      ))}
      <ProblemAlert error={add.error} />
      <Group align="flex-end">
        <Select label={t('members.resourceType')} data={['channel']} value={type} onChange={(v) => v && setType(v as 'channel')} allowDeselect={false} w={140} />
        <TextInput label={t('members.resourceId')} value={resourceId} onChange={(e) => setResourceId(e.currentTarget.value)} w={260} />
        <Button onClick={() => add.mutate()} loading={add.isPending} disabled={!resourceId.trim()}>
          {t('members.grantAdd')}
        </Button>
      </Group>
    </Stack>
  );
}

export default function Members() {
  const t = useT();
  const orgId = useOrgId();
  const { can, me } = useSession();
  const client = useQueryClient();
  const format = useFormatDate();
  const roleOptions = useRoleOptions(orgId);
  const [grantsFor, setGrantsFor] = useState<Member | null>(null);
  const members = useQuery({ queryKey: ['members', orgId], queryFn: () => unwrap(api.GET('/api/v1/organizations/{org_id}/members', { params: { path: { org_id: orgId }, query: { limit: 200 } } })) });
  const invites = useQuery({
    queryKey: ['invites', orgId],
    queryFn: () => unwrap(api.GET('/api/v1/organizations/{org_id}/invites', { params: { path: { org_id: orgId }, query: { limit: 200 } } })),
    enabled: can('members:invite'),
  });
  const refresh = () => client.invalidateQueries({ queryKey: ['members', orgId] });
  const update = useMutation({
    mutationFn: ({ id, value }: { id: string; value: string }) =>
      unwrap(api.PATCH('/api/v1/organizations/{org_id}/members/{member_id}', { params: { path: { org_id: orgId, member_id: id } }, body: roleBody(value) })),
    onSuccess: async () => {
      notifySuccess(t('members.roleChanged'));
      await refresh();
    },
    onError: (error) => notifyError(error, t('app.errorTitle')),
  });
  const remove = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/organizations/{org_id}/members/{member_id}', { params: { path: { org_id: orgId, member_id: id } } })),
    onSuccess: async () => {
      notifySuccess(t('members.removed'));
      await refresh();
    },
    onError: (error) => notifyError(error, t('app.errorTitle')),
  });
  const resetMfa = useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/api/v1/organizations/{org_id}/members/{member_id}/mfa/reset', { params: { path: { org_id: orgId, member_id: id } } })),
    onSuccess: () => notifySuccess(t('members.mfaReset')),
    onError: (error) => notifyError(error, t('app.errorTitle')),
  });
  const revokeInvite = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/organizations/{org_id}/invites/{invite_id}', { params: { path: { org_id: orgId, invite_id: id } } })),
    onSuccess: async () => {
      notifySuccess(t('members.inviteRevoked'));
      await client.invalidateQueries({ queryKey: ['invites', orgId] });
    },
    onError: (error) => notifyError(error, t('app.errorTitle')),
  });
  const manage = can('members:manage');
  const rows = members.data?.data ?? [];
  const pending = (invites.data?.data ?? []).filter((invite) => !invite.accepted_at);
  const roleValue = (member: Member) => (member.custom_role_id ? `custom:${member.custom_role_id}` : member.role);

  return (
    <Stack>
      <PageHeader title={t('members.title')} />
      {can('members:invite') && (
        <Section title={t('members.invite')}>
          <InviteForm orgId={orgId} roleOptions={roleOptions} />
        </Section>
      )}
      <Section title={t('members.title')}>
        {members.isLoading && <TableSkeleton />}
        <ProblemAlert error={members.error} />
        {members.isSuccess && (
          <Table.ScrollContainer minWidth={640}>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('members.name')}</Table.Th>
                  <Table.Th>{t('members.email')}</Table.Th>
                  <Table.Th>{t('members.role')}</Table.Th>
                  {manage && (
                    <Table.Th>
                      <span className="visually-hidden">{t('members.remove')}</span>
                    </Table.Th>
                  )}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((member) => {
                  const self = member.user_id === me?.user.id;
                  return (
                    <Table.Tr key={member.id} data-testid="member-row">
                      <Table.Td>{member.name}</Table.Td>
                      <Table.Td>{member.email}</Table.Td>
                      <Table.Td>
                        {manage && !self ? (
                          <Select
                            aria-label={`${t('members.role')}: ${member.email}`}
                            data={roleOptions.some((o) => o.value === roleValue(member)) ? roleOptions : [...roleOptions, { value: roleValue(member), label: member.role }]}
                            value={roleValue(member)}
                            onChange={(value) => value && value !== roleValue(member) && update.mutate({ id: member.id, value })}
                            allowDeselect={false}
                            w={160}
                            size="xs"
                          />
                        ) : (
                          <Group gap={4}>
                            <Badge variant="light">{member.role}</Badge>
                            {member.restricted && <Badge variant="outline" color="gray">{t('members.restricted')}</Badge>}
                          </Group>
                        )}
                      </Table.Td>
                      {manage && (
                        <Table.Td>
                          {!self && (
                            <Group gap={4} wrap="nowrap">
                              <Button size="xs" variant="subtle" onClick={() => setGrantsFor(member)}>
                                {t('members.grants')}
                              </Button>
                              <Button size="xs" variant="subtle" onClick={() => resetMfa.mutate(member.id)}>
                                {t('members.resetMfa')}
                              </Button>
                              <Button size="xs" variant="subtle" color="red" onClick={() => remove.mutate(member.id)} aria-label={`${t('members.remove')}: ${member.email}`}>
                                {t('members.remove')}
                              </Button>
                            </Group>
                          )}
                        </Table.Td>
                      )}
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        {members.isSuccess && rows.length < 2 && (
          <Text size="sm" c="dimmed" mt="sm">
            {t('members.alone')}
          </Text>
        )}
      </Section>
      {can('members:invite') && (
        <Section title={t('members.invites')}>
          {invites.isLoading && <TableSkeleton rows={2} />}
          <ProblemAlert error={invites.error} />
          {invites.isSuccess && pending.length === 0 && <EmptyState>{t('members.noInvites')}</EmptyState>}
          {pending.length > 0 && (
            <Table.ScrollContainer minWidth={520}>
              <Table>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('members.email')}</Table.Th>
                    <Table.Th>{t('members.role')}</Table.Th>
                    <Table.Th>{t('members.expires')}</Table.Th>
                    <Table.Th>
                      <span className="visually-hidden">{t('members.revoke')}</span>
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {pending.map((invite) => (
                    <Table.Tr key={invite.id}>
                      <Table.Td>{invite.email}</Table.Td>
                      <Table.Td>{invite.role}</Table.Td>
                      <Table.Td>{format(invite.expires_at)}</Table.Td>
                      <Table.Td>
                        <Button size="xs" variant="subtle" color="red" onClick={() => revokeInvite.mutate(invite.id)} aria-label={`${t('members.revoke')}: ${invite.email}`}>
                          {t('members.revoke')}
                        </Button>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </Section>
      )}
      <Drawer opened={grantsFor !== null} onClose={() => setGrantsFor(null)} title={`${t('members.grants')}: ${grantsFor?.email ?? ''}`} position="right" size="md">
        {grantsFor && <Grants orgId={orgId} member={rows.find((m) => m.id === grantsFor.id) ?? grantsFor} />}
      </Drawer>
    </Stack>
  );
}
