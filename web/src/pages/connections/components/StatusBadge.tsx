/** Badges for a connection's health and a sync's status (labelled in words, not only color). */
import { Tag } from '../../brain/components/Tag';
import type { ConnectionStatus, Sync } from '../api';
import { labelOf, useConnT } from '../i18n';

const CONNECTION_COLOR: Record<ConnectionStatus, string> = {
  active: 'green',
  needs_reauth: 'orange',
  error: 'red',
  pending: 'gray',
  revoked: 'gray',
};

const SYNC_COLOR: Record<string, string> = {
  queued: 'gray',
  pending: 'gray',
  running: 'blue',
  succeeded: 'green',
  failed: 'red',
};

export function ConnectionStatusBadge({ status }: { status: ConnectionStatus }) {
  const t = useConnT();
  return (
    <Tag color={CONNECTION_COLOR[status]} variant="light" data-testid="connection-status">
      {labelOf(t, 'status', status)}
    </Tag>
  );
}

export function SyncStatusBadge({ status }: { status: Sync['status'] | string }) {
  const t = useConnT();
  return (
    <Tag color={SYNC_COLOR[status] ?? 'gray'} variant="light">
      {labelOf(t, 'sync.status', status)}
    </Tag>
  );
}

export function SandboxBadge() {
  const t = useConnT();
  return (
    <Tag color="grape" variant="outline">
      {t('sandbox')}
    </Tag>
  );
}
