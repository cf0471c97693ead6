/** Sample API objects for the connection pages' tests. */
import type { Connection, Provider, Sync } from '../api';

export function provider(overrides: Partial<Provider> = {}): Provider {
  return {
    id: 'meta_ads',
    name: 'Meta Ads',
    auth: 'oauth2',
    scopes: ['ads_read'],
    config_schema: {
      type: 'object',
      required: ['ad_account_ids'],
      properties: { ad_account_ids: { type: 'array', items: { type: 'string', pattern: '^act_[0-9]+$' }, minItems: 1 } },
    },
    streams: [{ name: 'ads_insights', primary_key: ['date', 'ad_id'], cursor_field: 'date', modes: ['incremental'], description: 'Spend and results per ad per day' }],
    sandbox: true,
    docs_url: 'https://developers.facebook.com/docs/marketing-api',
    ...overrides,
  };
}

export function connection(overrides: Partial<Connection> = {}): Connection {
  return {
    id: 'conn-1',
    created_at: '2026-11-20T10:00:00Z',
    updated_at: '2026-11-20T10:00:00Z',
    provider: 'meta_ads',
    name: 'Meta Ads (sandbox)',
    status: 'active',
    sandbox: true,
    config: { ad_account_ids: ['act_1'] },
    granted_scopes: ['ads_read'],
    streams: [{ name: 'ads_insights', enabled: true }],
    schedule_minutes: 1440,
    backfill_start: '2025-11-25',
    last_sync_at: null,
    next_sync_at: '2026-11-21T10:00:00Z',
    last_error: null,
    next_step: { type: 'ready', authorization_url: null, fields: [] },
    ...overrides,
  };
}

export function sync(status: Sync['status'], overrides: Partial<Sync> = {}): Sync {
  const done = status === 'succeeded';
  return {
    id: 'sync-1',
    created_at: '2026-11-20T10:01:00Z',
    updated_at: '2026-11-20T10:01:00Z',
    connection_id: 'conn-1',
    mode: 'backfill',
    status,
    trigger: 'manual',
    start_date: '2026-08-01',
    end_date: '2026-08-10',
    rows_read: done ? 1216 : 300,
    rows_written: done ? 1216 : 290,
    streams: { ads_insights: { rows_read: done ? 1216 : 300, rows_written: done ? 1216 : 290, status: done ? 'succeeded' : 'running', through: done ? '2026-08-10' : '2026-08-05' } },
    attempts: 1,
    error: null,
    error_kind: null,
    started_at: '2026-11-20T10:01:01Z',
    finished_at: done ? '2026-11-20T10:01:03Z' : null,
    duration_seconds: done ? 2 : null,
    ...overrides,
  };
}
