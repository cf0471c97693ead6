/**
 * The event types an endpoint can subscribe to. A Record over the generated union: an event
 * type added to the API without being listed here is a type error after `npm run api`.
 */
import type { EventType } from './api';

const KNOWN: Record<EventType, true> = {
  'sync.completed': true,
  'sync.failed': true,
  'connection.needs_reauth': true,
  'oracle.alert.created': true,
  'curiosity.action.created': true,
  'reflexes.anomaly.detected': true,
  'quota.warning': true,
  'import.completed': true,
  'webhook.test': true,
};

export const EVENT_TYPES = Object.keys(KNOWN) as EventType[];

export function isEventType(value: string): value is EventType {
  return value in KNOWN;
}
