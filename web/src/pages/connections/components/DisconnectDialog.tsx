/**
 * Disconnecting a connection: says what happens, and asks what to do with the data already
 * synced — keep it (the default) or delete it; the confirm button says which.
 */
import { Button, Group, Modal, Radio, Stack, Text } from '@mantine/core';
import { useEffect, useState } from 'react';

import { ProblemAlert } from '../../../components/ProblemAlert';
import { useT } from '../../../i18n';
import { useConnT } from '../i18n';

export function DisconnectDialog({
  opened,
  name,
  pending,
  error,
  onClose,
  onConfirm,
}: {
  opened: boolean;
  name: string;
  pending: boolean;
  error: unknown;
  onClose: () => void;
  onConfirm: (purgeData: boolean) => void;
}) {
  const t = useConnT();
  const appT = useT();
  const [choice, setChoice] = useState<'keep' | 'purge'>('keep');
  // Every opening starts from the safe choice.
  useEffect(() => {
    if (opened) setChoice('keep');
  }, [opened]);
  const purge = choice === 'purge';
  return (
    <Modal opened={opened} onClose={onClose} title={t('disconnect.title', { name })} closeOnClickOutside={!pending} closeButtonProps={{ 'aria-label': appT('app.close') }}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          onConfirm(purge);
        }}
      >
        <Stack>
          <Text size="sm">{t('disconnect.body')}</Text>
          <Radio.Group label={t('disconnect.data')} value={choice} onChange={(value) => setChoice(value === 'purge' ? 'purge' : 'keep')}>
            <Stack gap="sm" mt="xs">
              <Radio value="keep" label={t('disconnect.keep')} description={t('disconnect.keepHint')} />
              <Radio value="purge" label={t('disconnect.purge')} description={t('disconnect.purgeHint')} color="red" />
            </Stack>
          </Radio.Group>
          <ProblemAlert error={error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose} disabled={pending}>
              {appT('app.cancel')}
            </Button>
            <Button type="submit" color="red" loading={pending}>
              {purge ? t('disconnect.confirmPurge') : t('disconnect.confirm')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
