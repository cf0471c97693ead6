/** Verify email: confirms the `token` of the emailed link; without one, says to check email. */
import { Alert, Anchor, Button, Loader, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Link, useSearchParams } from 'react-router-dom';

import { api, unwrap } from '../../api/client';
import { ME_KEY, useSession } from '../../auth/session';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useT } from '../../i18n';
import { notifyError, notifySuccess } from '../../lib/notify';

export default function Verify() {
  const t = useT();
  const client = useQueryClient();
  const { me } = useSession();
  const [params] = useSearchParams();
  const token = params.get('token');
  useEffect(() => {
    document.title = `${t('auth.verifyTitle')} · Brain`;
  }, [t]);
  // A query, not an effect: it runs once per token even under StrictMode's double mount.
  const verify = useQuery({
    queryKey: ['verify-email', token],
    queryFn: async () => {
      const result = await unwrap(api.POST('/api/v1/auth/verify', { body: { token: token ?? '' } }));
      // The page's first /auth/me may still be in flight from before the verification (an
      // invalidation would join it, not refetch): drop it, then fetch the verified user.
      await client.cancelQueries({ queryKey: ME_KEY });
      await client.invalidateQueries({ queryKey: ME_KEY });
      return result;
    },
    enabled: Boolean(token),
    retry: false,
    staleTime: Infinity,
    gcTime: Infinity,
  });
  const resend = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/auth/verify/resend')),
    onSuccess: () => notifySuccess(t('shell.resent')),
    onError: (error) => notifyError(error, t('app.errorTitle')),
  });
  const canResend = me && !me.user.email_verified;

  return (
    <Stack>
      <Title order={1} size="h2">
        {t('auth.verifyTitle')}
      </Title>
      {!token && <Text>{t('auth.verifyCheck')}</Text>}
      {token && verify.isLoading && (
        <Stack align="center" role="status">
          <Loader size="sm" />
          <Text size="sm">{t('auth.verifying')}</Text>
        </Stack>
      )}
      {verify.isSuccess && (
        <>
          <Alert color="green" role="status">
            {t('auth.verified')}
          </Alert>
          <Button component={Link} to={me ? '/' : '/login'}>
            {t('auth.continue')}
          </Button>
        </>
      )}
      {verify.isError && <ProblemAlert error={verify.error} />}
      {canResend && !verify.isSuccess && (
        <Button variant="default" loading={resend.isPending} onClick={() => resend.mutate()}>
          {t('shell.resend')}
        </Button>
      )}
      {!me && !verify.isSuccess && (
        <Anchor component={Link} to="/login" size="sm">
          {t('auth.loginLink')}
        </Anchor>
      )}
    </Stack>
  );
}
