/**
 * The connection test as a checklist: every check passed or failed (said in words as well as
 * with a mark), the API's detail, and for each failure how to fix it for the way this
 * platform is authorized.
 */
import { Alert, Group, Paper, Stack, Text, ThemeIcon } from '@mantine/core';

import { tone } from '../../brain/i18n';
import type { ConnectionTest } from '../api';
import { checklist, fixFor, type AuthMethod, type ChecklistItem } from '../checks';
import { useConnT, type ConnKey } from '../i18n';

const KIND_LABEL: Partial<Record<ChecklistItem['kind'], ConnKey>> = {
  credentials: 'check.credentials',
  scopes: 'check.scopes',
  config: 'check.config',
  sample: 'check.sample',
};

export function Checklist({
  test,
  auth,
  sandbox,
  scopes,
}: {
  test: ConnectionTest;
  auth: AuthMethod;
  sandbox: boolean;
  /** The scopes the provider asks for (named in the permission fixes). */
  scopes: string[];
}) {
  const t = useConnT();
  const items = checklist(test);
  const failed = items.filter((item) => !item.ok).length;
  const missing = test.missing_scopes.length > 0 ? test.missing_scopes : scopes;
  return (
    <Stack gap="sm">
      {test.ok ? (
        <Alert color="green" variant="light">
          {t('checks.allOk', { n: test.sample_records })}
        </Alert>
      ) : (
        <Alert color="orange" variant="light">
          {t('checks.someFailed', { n: Math.max(failed, 1) })}
        </Alert>
      )}
      <Stack component="ul" gap="xs" aria-label={t('checks.caption')} m={0} p={0} style={{ listStyle: 'none' }}>
          {items.map((item) => {
            const kindLabel = KIND_LABEL[item.kind];
            const label = kindLabel ? t(kindLabel) : item.name;
            return (
              <Paper component="li" key={item.key} withBorder p="sm" radius="md" data-testid="check-item" data-ok={item.ok}>
                <Group gap="sm" align="flex-start" wrap="nowrap">
                  <ThemeIcon color={item.ok ? 'green' : 'red'} variant="light" radius="xl" size={26} aria-hidden="true">
                    <Text span fw={700} size="sm">
                      {item.ok ? '✓' : '✗'}
                    </Text>
                  </ThemeIcon>
                  <Stack gap={2} style={{ flex: 1, minWidth: 0 }}>
                    <Text fw={600} size="sm">
                      {label}
                      <Text span size="sm" fw={500} c={tone(item.ok ? 'green' : 'red')}>
                        {' — '}
                        {item.ok ? t('checks.passed') : t('checks.failed')}
                      </Text>
                    </Text>
                    {item.detail && (
                      <Text size="sm" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
                        {item.detail}
                      </Text>
                    )}
                    {item.kind === 'scopes' && !item.ok && test.missing_scopes.length > 0 && (
                      <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                        {t('checks.missingScopes', { scopes: test.missing_scopes.join(', ') })}
                      </Text>
                    )}
                    {!item.ok && (
                      <Text size="sm" mt={4}>
                        <Text span fw={600} size="sm">
                          {t('checks.howToFix')}:{' '}
                        </Text>
                        {t(fixFor(item.kind, auth, sandbox), { scopes: missing.join(', ') })}
                      </Text>
                    )}
                  </Stack>
                </Group>
              </Paper>
            );
          })}
      </Stack>
    </Stack>
  );
}
