/** The reason asked when an action is rejected (its own chunk: loaded on the first Reject). */
import { Button, Group, Modal, Stack, Text, Textarea } from '@mantine/core';
import { useEffect, useState } from 'react';

import { useT } from '../../../i18n';
import type { Action } from '../api';
import { useBrainT } from '../i18n';
import { actionTypeLabel } from './Actions';

export default function RejectDialog({
  action,
  opened,
  onClose,
  onConfirm,
}: {
  action: Action;
  opened: boolean;
  onClose: () => void;
  onConfirm: (reason: string) => void;
}) {
  const t = useBrainT();
  const appT = useT();
  const [reason, setReason] = useState('');
  // This chunk mounts on the first Reject, already asked to open: mounted closed and opened
  // right after, the modal sees the change and remembers the button to give focus back to.
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  return (
    <Modal opened={opened && mounted} onClose={onClose} title={t('action.rejectTitle')} centered returnFocus>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          onConfirm(reason.trim());
          setReason('');
        }}
      >
        <Stack>
          <Text size="sm">
            {actionTypeLabel(t, action.type)} · {action.target.name}
          </Text>
          <Textarea
            label={t('action.reason')}
            description={t('action.reasonHint')}
            value={reason}
            onChange={(event) => setReason(event.currentTarget.value)}
            maxLength={1000}
            autosize
            minRows={3}
            data-autofocus
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {appT('app.cancel')}
            </Button>
            <Button type="submit" color="red">
              {t('action.confirmReject')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
