import { checkKind, checklist, fixFor, needsNewCredentials } from './checks';
import { buildConfig, configFields, initialConfigValues, splitList } from './config';
import { oauthError } from './oauth';
import { formatDuration, overallFraction, streamProgress, streamSeconds, syncChartRows } from './sync';
import type { Sync } from './api';
import { translateConn } from './i18n';
import { humanize } from './components/ConfigFields';

describe('provider config from its JSON schema', () => {
  const schema = {
    type: 'object',
    required: ['ad_account_ids'],
    properties: {
      api_version: { type: 'string', default: '59.0' },
      import_leads: { type: 'boolean', default: true },
      ad_account_ids: { type: 'array', items: { type: 'string', pattern: '^act_[0-9]+$' }, minItems: 1 },
      shop: { type: 'string', pattern: '^[a-z0-9-]+\\.myshopify\\.com$', description: 'The shop' },
    },
  };

  it('lists the fields, required ones first, with kinds and defaults', () => {
    const fields = configFields(schema);
    expect(fields.map((f) => [f.name, f.kind, f.required])).toEqual([
      ['ad_account_ids', 'list', true],
      ['api_version', 'text', false],
      ['import_leads', 'boolean', false],
      ['shop', 'text', false],
    ]);
    expect(initialConfigValues(fields)).toEqual({ ad_account_ids: '', api_version: '59.0', import_leads: true, shop: '' });
  });

  it('builds the config, checking required fields and patterns', () => {
    const fields = configFields(schema);
    const values = initialConfigValues(fields);
    expect(buildConfig(fields, values).errors).toEqual({ ad_account_ids: 'required' });
    expect(buildConfig(fields, { ...values, ad_account_ids: 'act_1, nope' }).errors).toEqual({ ad_account_ids: 'pattern' });
    const built = buildConfig(fields, { ...values, ad_account_ids: 'act_1, act_2\nact_3', import_leads: false, shop: 'my-brand.myshopify.com' });
    // Untouched defaults are left to the API.
    expect(built).toEqual({ errors: {}, config: { ad_account_ids: ['act_1', 'act_2', 'act_3'], import_leads: false, shop: 'my-brand.myshopify.com' } });
    expect(splitList(' a ,b  c,,')).toEqual(['a', 'b', 'c']);
  });

  it('names fields readably', () => {
    expect(humanize('ad_account_ids')).toBe('Ad account IDs');
    expect(humanize('instance_url')).toBe('Instance URL');
    expect(humanize('login_customer_id')).toBe('Login customer ID');
  });
});

describe('access checks', () => {
  it('sorts checks by what they are about', () => {
    expect(['credentials', 'scopes', 'config', 'sample read', 'account act_1', 'read deals', 'customer 123-456-7890', 'property 1', 'advertisers', 'whatever'].map(checkKind)).toEqual([
      'credentials',
      'scopes',
      'config',
      'sample',
      'access',
      'access',
      'access',
      'access',
      'access',
      'other',
    ]);
  });

  it('adds a permissions item for missing scopes the connector only listed', () => {
    const items = checklist({ ok: false, checks: [{ name: 'credentials', ok: true, detail: 'ok' }, { name: 'read deals', ok: false, detail: '403' }], missing_scopes: ['crm.objects.deals.read'], sample_records: 0 });
    expect(items.map((i) => [i.kind, i.ok])).toEqual([
      ['credentials', true],
      ['access', false],
      ['scopes', false],
    ]);
    expect(needsNewCredentials(items)).toBe(true);
  });

  it('picks the fix for the way the provider is authorized', () => {
    expect(fixFor('scopes', 'oauth2', false)).toBe('fix.scopes.oauth2');
    expect(fixFor('scopes', 'api_key', false)).toBe('fix.scopes.api_key');
    expect(fixFor('credentials', 'api_key', false)).toBe('fix.credentials.api_key');
    expect(fixFor('access', 'oauth2', true)).toBe('fix.sandbox');
  });
});

describe('sync progress', () => {
  const sync = {
    status: 'running',
    start_date: '2026-01-01',
    end_date: '2026-01-10',
    streams: { orders: { rows_read: 40, rows_written: 38, status: 'running', through: '2026-01-05' }, customers: { rows_read: 9, rows_written: 9, status: 'succeeded', through: '2026-01-10' } },
  } as const;

  it('reads how far each stream got through the dates', () => {
    const rows = streamProgress(sync as unknown as Sync, ['orders', 'customers', 'refunds']);
    expect(rows.map((r) => [r.name, r.fraction, r.rowsWritten, r.status])).toEqual([
      ['orders', 0.5, 38, 'running'],
      ['customers', 1, 9, 'succeeded'],
      ['refunds', 0, 0, 'pending'],
    ]);
    expect(overallFraction(rows, 'running')).toBeCloseTo(0.5);
    expect(overallFraction(rows, 'succeeded')).toBe(1);
  });

  it('reads how long each stream took', () => {
    expect(streamSeconds({ seconds: 2.5, started_at: '2026-01-01T00:00:00Z', finished_at: '2026-01-01T00:00:09Z' })).toBe(2.5);
    expect(streamSeconds({ started_at: '2026-01-01T00:00:00Z', finished_at: '2026-01-01T00:01:05Z' })).toBe(65);
    expect(streamSeconds({ started_at: '2026-01-01T00:00:00Z', finished_at: null })).toBeNull();
    expect(streamSeconds({ seconds: -1 })).toBeNull();
    expect(streamSeconds({})).toBeNull();
    const rows = streamProgress({ ...sync, streams: { orders: { ...sync.streams.orders, seconds: 3 } } } as unknown as Sync);
    expect(rows[0]?.seconds).toBe(3);
  });

  it('formats durations and orders the chart oldest first', () => {
    expect([0.42, 12.4, 185, null].map(formatDuration)).toEqual(['0.4 s', '12 s', '3 min 5 s', '—']);
    const a = { id: 'a', created_at: '2026-01-02T00:00:00Z', started_at: '2026-01-02T00:00:01Z', rows_written: 5, rows_read: 6, status: 'succeeded' } as Sync;
    const b = { id: 'b', created_at: '2026-01-01T00:00:00Z', started_at: null, rows_written: 1, rows_read: 1, status: 'failed' } as Sync;
    expect(syncChartRows([a, b], (iso) => iso.slice(0, 10)).map((r) => [r.id, r.when, r.written])).toEqual([
      ['b', '2026-01-01', 1],
      ['a', '2026-01-02', 5],
    ]);
  });
});

describe('the OAuth callback’s error slug', () => {
  it('becomes a known message, or the cleaned slug', () => {
    expect(oauthError('authorization-refused')).toEqual({ key: 'oauth.error.access_denied', reason: 'authorization-refused' });
    expect(oauthError('invalid-token').key).toBe('oauth.error.invalid_state');
    expect(oauthError('provider-error').key).toBe('oauth.error.provider_error');
    expect(oauthError('<script>').key).toBe('oauth.error.unknown');
    expect(oauthError('<script>').reason).toBe('_script_');
  });
});

describe('connection strings', () => {
  it('are translated to Spanish and fill placeholders', () => {
    expect(translateConn('en', 'list.connect')).toBe('Connect a platform');
    expect(translateConn('es', 'list.connect')).toBe('Conectar una plataforma');
    expect(translateConn('es', 'wizard.stepOf', { n: 2, total: 5 })).toBe('Paso 2 de 5');
  });
});
