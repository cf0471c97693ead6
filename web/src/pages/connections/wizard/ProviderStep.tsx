/** Step 1: the platforms as cards, each saying how it is authorized and what it asks for. */
import { Anchor, Button, Card, List, SimpleGrid, Stack, Text, Title } from '@mantine/core';

import type { Provider } from '../api';
import { configFields } from '../config';
import { humanize } from '../components/ConfigFields';
import { useConnT } from '../i18n';

export function ProviderStep({ providers, selected, onChoose }: { providers: Provider[]; selected: string | null; onChoose: (id: string) => void }) {
  const t = useConnT();
  return (
    <Stack>
      <Text size="sm">{t('provider.intro')}</Text>
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} component="ul" m={0} p={0} style={{ listStyle: 'none' }}>
        {providers.map((provider) => {
          const required = configFields(provider.config_schema).filter((f) => f.required);
          return (
            <Card component="li" key={provider.id} withBorder radius="md" padding="md" data-testid={`provider-${provider.id}`}>
              <Stack gap="xs" h="100%">
                <Title order={3} size="h5">
                  {provider.name}
                </Title>
                <Text size="sm">
                  <Text span fw={600} size="sm">
                    {t('provider.needs')}:{' '}
                  </Text>
                  {provider.auth === 'oauth2' ? t('provider.oauth2', { name: provider.name }) : t('provider.api_key')}
                  {required.length > 0 && `; ${required.map((f) => humanize(f.name)).join(', ')}`}
                </Text>
                {provider.streams.length > 0 && (
                  <div>
                    <Text size="sm" fw={600}>
                      {t('provider.streams')}
                    </Text>
                    <List size="sm" spacing={2}>
                      {provider.streams.map((stream) => (
                        <List.Item key={stream.name}>{stream.description || stream.name}</List.Item>
                      ))}
                    </List>
                  </div>
                )}
                {provider.scopes.length > 0 && (
                  <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
                    {t('provider.scopes')}: {provider.scopes.join(', ')}
                  </Text>
                )}
                <Stack gap="xs" mt="auto">
                  {provider.docs_url && (
                    <Anchor href={provider.docs_url} target="_blank" rel="noreferrer noopener" size="xs">
                      {t('provider.docs', { name: provider.name })}
                    </Anchor>
                  )}
                  <Button
                    variant={selected === provider.id ? 'filled' : 'light'}
                    onClick={() => onChoose(provider.id)}
                    aria-pressed={selected === provider.id}
                  >
                    {t('provider.choose', { name: provider.name })}
                  </Button>
                </Stack>
              </Stack>
            </Card>
          );
        })}
      </SimpleGrid>
    </Stack>
  );
}
