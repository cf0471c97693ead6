/** Catches a render error in one area of the page and offers a retry instead of a blank app. */
import { Alert, Button, Stack, Text } from '@mantine/core';
import { Component, type ErrorInfo, type ReactNode } from 'react';

import { useT } from '../i18n';

interface Props {
  children: ReactNode;
  onReset?: () => void;
}

interface State {
  error: Error | null;
}

function Fallback({ onRetry }: { onRetry: () => void }) {
  const t = useT();
  return (
    <Alert color="red" title={t('app.errorTitle')} role="alert">
      <Stack gap="sm" align="flex-start">
        <Text size="sm">{t('app.errorBody')}</Text>
        <Button size="xs" variant="light" color="red" onClick={onRetry}>
          {t('app.retry')}
        </Button>
      </Stack>
    </Alert>
  );
}

export class ErrorBoundary extends Component<Props, State> {
  state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error('render error', error, info.componentStack);
  }

  retry = (): void => {
    this.props.onReset?.();
    this.setState({ error: null });
  };

  render(): ReactNode {
    if (this.state.error) return <Fallback onRetry={this.retry} />;
    return this.props.children;
  }
}
