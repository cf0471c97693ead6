/**
 * The onboarding checklist's strings (English is the source of the keys; Spanish must match,
 * a type error otherwise), in the app's current language.
 */
import { useCallback } from 'react';

import { useI18n, type Locale } from '../i18n';

const en = {
  'onboarding.title': 'Get started',
  'onboarding.button': 'Get started',
  'onboarding.progress': '{done} of {total}',
  'onboarding.progressLong': '{done} of {total} steps done',
  'onboarding.intro': 'Five steps from sign-up to your first recommendations.',
  'onboarding.dismiss': 'Hide the checklist',
  'onboarding.dismissed': 'Checklist hidden. Everything stays where it is.',
  'onboarding.doneOn': 'Done {date}',
  'onboarding.done': 'Done',
  'onboarding.todo': 'To do',
  'onboarding.next': 'Next',
  'onboarding.askAdmin': 'An admin of your organization does this step.',
  'onboarding.step.verify_email': 'Verify your email',
  'onboarding.step.verify_email.body': 'Open the link we emailed you to confirm your address.',
  'onboarding.step.verify_email.action': 'Resend the email',
  'onboarding.step.verify_email.resent': 'A new link is on its way.',
  'onboarding.step.connect_data': 'Connect your data',
  'onboarding.step.connect_data.body': 'Connect an ad platform, upload a CSV, or start with sandbox data (any platform in the connect wizard offers it).',
  'onboarding.step.connect_data.action': 'Connect a platform',
  'onboarding.step.connect_data.csv': 'Upload a CSV',
  'onboarding.step.first_sync': 'Finish the first sync',
  'onboarding.step.first_sync.body': 'Your data arrives with the first sync; follow it on the connections page.',
  'onboarding.step.first_sync.action': 'See connections',
  'onboarding.step.first_brain_run': 'Run the brain',
  'onboarding.step.first_brain_run.body': 'The first run turns your data into the dashboard: what changed, what will break and the 3 things to do.',
  'onboarding.step.first_brain_run.action': 'Go to the dashboard',
  'onboarding.step.invite_teammate': 'Invite a teammate',
  'onboarding.step.invite_teammate.body': 'Share the dashboard and the actions with your team.',
  'onboarding.step.invite_teammate.action': 'Invite people',
  'guard.noData': 'No data yet',
  'guard.noDataBody': 'The dashboard fills in from your marketing data. Connect an ad platform or upload a CSV of daily metrics; to look around first, pick any platform in the connect wizard and choose sandbox data.',
  'guard.noDataAsk': 'Ask an admin of your organization to connect a data source.',
  'guard.syncing': 'Waiting for the first sync',
  'guard.syncingBody': 'A data source is connected; these pages fill in when its first sync finishes. Follow it on the connections page.',
  'guard.syncingAction': 'See connections',
} as const;

export type OnboardingKey = keyof typeof en;

const es: Record<OnboardingKey, string> = {
  'onboarding.title': 'Primeros pasos',
  'onboarding.button': 'Primeros pasos',
  'onboarding.progress': '{done} de {total}',
  'onboarding.progressLong': '{done} de {total} pasos hechos',
  'onboarding.intro': 'Cinco pasos desde el registro hasta tus primeras recomendaciones.',
  'onboarding.dismiss': 'Ocultar la lista',
  'onboarding.dismissed': 'Lista oculta. Todo sigue donde estaba.',
  'onboarding.doneOn': 'Hecho el {date}',
  'onboarding.done': 'Hecho',
  'onboarding.todo': 'Pendiente',
  'onboarding.next': 'Siguiente',
  'onboarding.askAdmin': 'Este paso lo hace un administrador de tu organización.',
  'onboarding.step.verify_email': 'Verifica tu correo',
  'onboarding.step.verify_email.body': 'Abre el enlace que te enviamos para confirmar tu dirección.',
  'onboarding.step.verify_email.action': 'Reenviar el correo',
  'onboarding.step.verify_email.resent': 'Te enviamos un enlace nuevo.',
  'onboarding.step.connect_data': 'Conecta tus datos',
  'onboarding.step.connect_data.body': 'Conecta una plataforma de anuncios, sube un CSV o empieza con datos de prueba (cualquier plataforma del asistente de conexión los ofrece).',
  'onboarding.step.connect_data.action': 'Conectar una plataforma',
  'onboarding.step.connect_data.csv': 'Subir un CSV',
  'onboarding.step.first_sync': 'Termina la primera sincronización',
  'onboarding.step.first_sync.body': 'Tus datos llegan con la primera sincronización; síguela en la página de conexiones.',
  'onboarding.step.first_sync.action': 'Ver conexiones',
  'onboarding.step.first_brain_run': 'Ejecuta el cerebro',
  'onboarding.step.first_brain_run.body': 'La primera ejecución convierte tus datos en el panel: qué cambió, qué va a fallar y las 3 cosas que hacer.',
  'onboarding.step.first_brain_run.action': 'Ir al panel',
  'onboarding.step.invite_teammate': 'Invita a un compañero',
  'onboarding.step.invite_teammate.body': 'Comparte el panel y las acciones con tu equipo.',
  'onboarding.step.invite_teammate.action': 'Invitar personas',
  'guard.noData': 'Aún no hay datos',
  'guard.noDataBody': 'El panel se llena con tus datos de marketing. Conecta una plataforma de anuncios o sube un CSV de métricas diarias; para echar un vistazo antes, elige cualquier plataforma en el asistente de conexión y usa datos de prueba.',
  'guard.noDataAsk': 'Pide a un administrador de tu organización que conecte una fuente de datos.',
  'guard.syncing': 'Esperando la primera sincronización',
  'guard.syncingBody': 'Hay una fuente de datos conectada; estas páginas se llenan cuando termine su primera sincronización. Síguela en la página de conexiones.',
  'guard.syncingAction': 'Ver conexiones',
};

const DICTIONARIES: Record<Locale, Record<OnboardingKey, string>> = { en, es };

export type OnboardingTranslate = (key: OnboardingKey, values?: Record<string, string | number>) => string;

export function translateOnboarding(locale: Locale, key: OnboardingKey, values?: Record<string, string | number>): string {
  const template: string = DICTIONARIES[locale][key] ?? en[key];
  if (!values) return template;
  return template.replace(/\{(\w+)\}/g, (match, name: string) => (name in values ? String(values[name]) : match));
}

export function useOnboardingT(): OnboardingTranslate {
  const { locale } = useI18n();
  return useCallback((key, values) => translateOnboarding(locale, key, values), [locale]);
}
