/** Toasts for the results of actions (success, or the problem's title and detail). */
import { notifications } from '@mantine/notifications';

import { describeError } from '../components/ProblemAlert';

export function notifySuccess(message: string): void {
  notifications.show({ color: 'green', message, autoClose: 4000 });
}

export function notifyError(error: unknown, fallback: string): void {
  const { title, detail } = describeError(error, fallback);
  notifications.show({ color: 'red', title, message: detail || title, autoClose: 8000 });
}
