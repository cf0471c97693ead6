/**
 * The event types an endpoint can subscribe to. The list and what each means come from the
 * API (`GET /api/v1/webhooks/event-types`); this module knows the types the client can send
 * (a Record over the generated union: a type added to the API without being listed here is a
 * type error after `npm run api`) and the Spanish of the API's descriptions.
 */
import type { EventType } from './api';

const KNOWN: Record<EventType, true> = {
  'sync.completed': true,
  'sync.failed': true,
  'connection.needs_reauth': true,
  'oracle.alert.created': true,
  'curiosity.action.created': true,
  'quota.warning': true,
  'import.completed': true,
  'webhook.test': true,
};

export const EVENT_TYPES = Object.keys(KNOWN) as EventType[];

export function isEventType(value: string): value is EventType {
  return value in KNOWN;
}

/** The API's descriptions in Spanish (English is the API's own text). */
export const EVENT_HELP_ES: Record<EventType, string> = {
  'sync.completed': 'Terminó una sincronización de una conexión: sync_id, connection_id, provider, mode, rows_read, rows_written.',
  'sync.failed': 'Falló una sincronización de una conexión: los mismos campos que sync.completed y el error.',
  'connection.needs_reauth': 'Las credenciales de una conexión dejaron de funcionar (un token rechazado al renovarse, una clave revocada); hay que volver a autorizarla.',
  'oracle.alert.created': 'Una ejecución del cerebro terminó con una alerta de ORACLE (fatiga de una creatividad, deterioro de un canal, deriva del LTV) que la ejecución correcta anterior no tenía, como máximo 50 por ejecución: run_id, kind, severity, probability, entity_id, entity_name, message, created_at.',
  'curiosity.action.created': 'Una ejecución del cerebro guardó una acción propuesta por CURIOSITY: action_id, run_id, type, rationale, target (kind, id, name), estimated_impact_usd, confidence, urgency, needs_human, created_at.',
  'quota.warning': 'La organización usó la mayor parte de una cuota del plan en el periodo actual.',
  'import.completed': 'Terminó una importación CSV, correcta o fallida: import_id, kind, status, rows_accepted, rows_rejected, failure_reason, finished_at.',
  'webhook.test': 'Un evento de prueba enviado a petición a un destino.',
};

/** The help text of an event type in the app's language (the API's text when untranslated). */
export function eventHelp(locale: 'en' | 'es', type: string, description: string): string {
  return locale === 'es' && isEventType(type) ? EVENT_HELP_ES[type] : description;
}
