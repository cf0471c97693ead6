/** An endpoint's state in words: enabled, failing (being retried) or disabled (and why). */
import { Tag } from '../../brain/components/Tag';
import type { Endpoint } from '../api';
import { hookLabel, useHookT } from '../i18n';

export function endpointState(endpoint: Pick<Endpoint, 'enabled' | 'failing_since'>): 'enabled' | 'failing' | 'disabled' {
  if (!endpoint.enabled) return 'disabled';
  return endpoint.failing_since ? 'failing' : 'enabled';
}

const COLOR = { enabled: 'green', failing: 'orange', disabled: 'gray' } as const;

export function EndpointStatus({ endpoint }: { endpoint: Endpoint }) {
  const t = useHookT();
  const state = endpointState(endpoint);
  const label = state === 'disabled' && endpoint.disabled_reason ? hookLabel(t, 'status.disabled', endpoint.disabled_reason) : t(`status.${state}`);
  return (
    <Tag color={COLOR[state]} variant="light" data-testid="endpoint-status">
      {label === endpoint.disabled_reason ? `${t('status.disabled')}: ${label}` : label}
    </Tag>
  );
}
