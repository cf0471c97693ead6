/** Toasts for the results of actions (success, or the problem's title and detail). */
import { notifications } from '@mantine/notifications';

import { describeError } from '../components/ProblemAlert';
import { translate } from '../i18n';

/** The toast's close button needs a name (the page's language is on `<html lang>`). */
export function closeButtonProps(): { 'aria-label': string } {
  const locale = typeof document !== 'undefined' && document.documentElement.lang === 'es' ? 'es' : 'en';
  return { 'aria-label': translate(locale, 'app.close') };
}

export function notifySuccess(message: string): void {
  notifications.show({ color: 'green', message, autoClose: 4000, closeButtonProps: closeButtonProps() });
}

export function notifyError(error: unknown, fallback: string): void {
  const { title, detail } = describeError(error, fallback);
  notifications.show({ color: 'red', title, message: detail || title, autoClose: 8000, closeButtonProps: closeButtonProps() });
}

/** A failure told in the caller's words (a background job that ended badly). */
export function notifyFailure(title: string, message: string): void {
  notifications.show({ color: 'red', title, message, autoClose: 8000, closeButtonProps: closeButtonProps() });
}
