/**
 * CSV import: choose what the file holds, upload it (with progress), then follow the import
 * until it finishes and show the row-level error report. Recent imports below.
 */
import { Alert, Badge, Button, FileInput, Group, Progress, SegmentedControl, Stack, Table, Text } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';

import { api, unwrap, type Schemas } from '../../api/client';
import { uploadWithProgress } from '../../api/upload';
import { useOrgId } from '../../auth/session';
import { EmptyState, PageHeader, Section, TableSkeleton, useFormatDate } from '../../components/common';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useT } from '../../i18n';
import { notifyError, notifySuccess } from '../../lib/notify';

type ImportRead = Schemas['ImportRead'];
type Kind = Schemas['ImportKind'];
const FINISHED = new Set(['succeeded', 'failed']);
const STATUS_COLOR: Record<string, string> = { queued: 'gray', running: 'blue', succeeded: 'green', failed: 'red' };

function ImportReport({ item }: { item: ImportRead }) {
  const t = useT();
  const running = !FINISHED.has(item.status);
  return (
    <Stack gap="sm" data-testid="import-report">
      <Group gap="sm">
        <Badge color={STATUS_COLOR[item.status]} variant="light">
          {t(`import.status.${item.status}`)}
        </Badge>
        <Text size="sm">{item.filename}</Text>
      </Group>
      {running && <Progress value={Math.round(item.progress * 100)} animated aria-label={t('import.status.running')} />}
      <Group gap="xl">
        <Text size="sm">
          {t('import.accepted')}: <strong>{item.rows_accepted}</strong>
        </Text>
        <Text size="sm">
          {t('import.rejected')}: <strong>{item.rows_rejected}</strong>
        </Text>
      </Group>
      {item.failure_reason && (
        <Alert color="red" role="alert">
          {item.failure_reason}
        </Alert>
      )}
      {item.errors.length > 0 && (
        <>
          <Text fw={600} size="sm">
            {t('import.errors')}
          </Text>
          <Table.ScrollContainer minWidth={400} mah={320}>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th w={90}>{t('import.line')}</Table.Th>
                  <Table.Th>{t('import.message')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {item.errors.map((error, index) => (
                  <Table.Tr key={`${error.line}-${index}`}>
                    <Table.Td>{error.line}</Table.Td>
                    <Table.Td>{error.message}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </>
      )}
    </Stack>
  );
}

export default function Import() {
  const t = useT();
  const orgId = useOrgId();
  const client = useQueryClient();
  const format = useFormatDate();
  const [kind, setKind] = useState<Kind>('daily_metrics');
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState(0);
  const [currentId, setCurrentId] = useState<string | null>(null);
  const announced = useRef<string | null>(null);

  const upload = useMutation({
    mutationFn: () => {
      const form = new FormData();
      form.append('kind', kind);
      if (file) form.append('file', file);
      setProgress(0);
      return uploadWithProgress<ImportRead>(`/api/v1/organizations/${orgId}/imports`, form, setProgress);
    },
    onSuccess: (created) => {
      setCurrentId(created.id);
      setFile(null);
      void client.invalidateQueries({ queryKey: ['imports', orgId] });
    },
  });
  const current = useQuery({
    queryKey: ['import', orgId, currentId],
    queryFn: () => unwrap(api.GET('/api/v1/organizations/{org_id}/imports/{import_id}', { params: { path: { org_id: orgId, import_id: currentId ?? '' } } })),
    enabled: currentId !== null,
    refetchInterval: (query) => (query.state.data && FINISHED.has(query.state.data.status) ? false : 1000),
  });
  const history = useQuery({
    queryKey: ['imports', orgId],
    queryFn: () => unwrap(api.GET('/api/v1/organizations/{org_id}/imports', { params: { path: { org_id: orgId }, query: { limit: 20, sort: '-created_at' } } })),
  });

  // A toast when the followed import finishes (once), and the history refreshes.
  useEffect(() => {
    const item = current.data;
    if (!item || !FINISHED.has(item.status) || announced.current === item.id) return;
    announced.current = item.id;
    if (item.status === 'succeeded') notifySuccess(t('import.done', { accepted: item.rows_accepted, rejected: item.rows_rejected }));
    else notifyError(null, t('import.failedToast', { reason: item.failure_reason ?? '' }));
    void client.invalidateQueries({ queryKey: ['imports', orgId] });
    void client.invalidateQueries({ queryKey: ['overview', orgId] });
  }, [current.data, client, orgId, t]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (file) upload.mutate();
  };
  const rows = history.data?.data ?? [];
  return (
    <Stack>
      <PageHeader title={t('import.title')} subtitle={t('import.subtitle')} />
      <Section title={t('import.upload')}>
        <form onSubmit={submit} noValidate>
          <Stack maw={560}>
            <ProblemAlert error={upload.error} />
            <div>
              <Text size="sm" fw={500} mb={4} id="import-kind-label">
                {t('import.kind')}
              </Text>
              <SegmentedControl
                aria-labelledby="import-kind-label"
                value={kind}
                onChange={(value) => setKind(value as Kind)}
                data={[
                  { value: 'daily_metrics', label: t('import.kind.daily_metrics') },
                  { value: 'orders', label: t('import.kind.orders') },
                ]}
              />
            </div>
            <Text size="xs" c="dimmed">
              {t('import.columns')}
            </Text>
            <FileInput label={t('import.file')} placeholder={t('import.pick')} accept=".csv,text/csv" value={file} onChange={setFile} clearable />
            {upload.isPending && <Progress value={Math.round(progress * 100)} aria-label={t('import.uploading', { pct: Math.round(progress * 100) })} />}
            {upload.isPending && (
              <Text size="sm" role="status">
                {t('import.uploading', { pct: Math.round(progress * 100) })}
              </Text>
            )}
            <Group>
              <Button type="submit" disabled={!file} loading={upload.isPending}>
                {t('import.upload')}
              </Button>
            </Group>
          </Stack>
        </form>
      </Section>
      {current.data && (
        <Section title={current.data.filename ?? t('import.title')}>
          <ImportReport item={current.data} />
        </Section>
      )}
      <Section title={t('import.history')}>
        {history.isLoading && <TableSkeleton rows={3} />}
        <ProblemAlert error={history.error} />
        {history.isSuccess && rows.length === 0 && <EmptyState>{t('import.empty')}</EmptyState>}
        {rows.length > 0 && (
          <Table.ScrollContainer minWidth={560}>
            <Table striped highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('import.file')}</Table.Th>
                  <Table.Th>{t('import.kind')}</Table.Th>
                  <Table.Th>{t('import.status')}</Table.Th>
                  <Table.Th>{t('import.accepted')}</Table.Th>
                  <Table.Th>{t('import.rejected')}</Table.Th>
                  <Table.Th>{t('audit.when')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((row) => (
                  <Table.Tr key={row.id}>
                    <Table.Td>
                      <Button variant="subtle" size="compact-sm" onClick={() => setCurrentId(row.id)}>
                        {row.filename ?? row.id.slice(0, 8)}
                      </Button>
                    </Table.Td>
                    <Table.Td>{t(`import.kind.${row.kind}`)}</Table.Td>
                    <Table.Td>
                      <Badge color={STATUS_COLOR[row.status]} variant="light">
                        {t(`import.status.${row.status}`)}
                      </Badge>
                    </Table.Td>
                    <Table.Td>{row.rows_accepted}</Table.Td>
                    <Table.Td>{row.rows_rejected}</Table.Td>
                    <Table.Td>{format(row.created_at)}</Table.Td>
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
