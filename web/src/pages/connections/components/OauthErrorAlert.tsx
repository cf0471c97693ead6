/**
 * The OAuth callback's `?error=<slug>` as an alert saying what happened and what to do, with
 * a way to start again; dismissing it (or starting again) clears the address.
 */
import { Alert, Button, Stack, Text } from '@mantine/core';
import { Link, useSearchParams } from 'react-router-dom';

import { useT } from '../../../i18n';
import { useConnT } from '../i18n';
import { oauthError } from '../oauth';

export function OauthErrorAlert({ retryTo }: { retryTo?: string }) {
  const t = useConnT();
  const appT = useT();
  const [params, setParams] = useSearchParams();
  const slug = params.get('error');
  if (slug === null) return null;
  const { key, reason } = oauthError(slug);
  const dismiss = () => {
    const next = new URLSearchParams(params);
    next.delete('error');
    setParams(next, { replace: true });
  };
  return (
    <Alert color="red" variant="light" title={t('oauth.errorTitle')} withCloseButton onClose={dismiss} closeButtonLabel={appT('app.close')}>
      <Stack gap="xs" align="flex-start">
        <Text size="sm">{t(key, { reason })}</Text>
        {retryTo && (
          <Button component={Link} to={retryTo} size="xs" variant="default">
            {t('oauth.startAgain')}
          </Button>
        )}
      </Stack>
    </Alert>
  );
}
