/**
 * A signing secret shown once: in a dialog that does not close on an outside click, with a
 * copy button, and (after a rotation) until when the previous secret keeps signing too.
 */
import { Button, Code, CopyButton, Group, Modal, Stack, Text } from '@mantine/core';

import { useFormatDate } from '../../../components/common';
import { useT } from '../../../i18n';
import { useHookT } from '../i18n';

export function SecretDialog({
  secret,
  title,
  overlapUntil,
  onClose,
}: {
  secret: string | null;
  title: string;
  overlapUntil?: string | null;
  onClose: () => void;
}) {
  const t = useHookT();
  const appT = useT();
  const formatDate = useFormatDate();
  return (
    <Modal opened={secret !== null} onClose={onClose} title={title} closeOnClickOutside={false} size="lg" closeButtonProps={{ 'aria-label': appT('app.close') }}>
      <Stack>
        <Text size="sm">{t('secret.body')}</Text>
        {overlapUntil && <Text size="sm">{t('secret.overlap', { date: formatDate(overlapUntil) })}</Text>}
        <Code block className="mono" data-testid="webhook-secret" style={{ overflowWrap: 'anywhere', whiteSpace: 'pre-wrap' }}>
          {secret}
        </Code>
        <Group>
          <CopyButton value={secret ?? ''}>
            {({ copied, copy }) => (
              <Button variant="light" onClick={copy}>
                {copied ? appT('app.copied') : appT('app.copy')}
              </Button>
            )}
          </CopyButton>
          <Button onClick={onClose}>{t('secret.done')}</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
