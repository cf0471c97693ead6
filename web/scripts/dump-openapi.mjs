// Dumps the backend's OpenAPI document (from brain.app.create_app, no server needed) into
// src/api/openapi.json, the built-in roles' permissions into src/auth/roles.json and the plan
// catalog (brain.billing.catalog, for the plan comparison) into src/pages/billing/plans.json;
// `npm run api:types` then regenerates src/api/schema.d.ts. All are committed so building the
// web app never needs Python.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const python = process.env.PYTHON ?? resolve(root, '.venv', 'bin', 'python');
const code = [
  'import json, sys',
  'from brain.app import create_app',
  'from brain.settings import Settings',
  'from brain.organizations.permissions import ROLE_PERMISSIONS',
  'roles = {str(r): sorted(str(p) for p in ps) for r, ps in ROLE_PERMISSIONS.items()}',
  'from brain.billing import catalog as c',
  'plans = {"order": list(c.PLAN_ORDER), "quota_periods": {str(q): p for q, p in c.QUOTA_PERIODS.items()},',
  '         "modules": [str(m) for m in c.Module], "features": [str(f) for f in c.Feature],',
  '         "plans": [{"name": s.name, "title": s.title, "monthly_price_usd": s.monthly_price_usd,',
  '                    "modules": sorted(str(m) for m in s.modules), "features": sorted(str(f) for f in s.features),',
  '                    "included_seats": s.included_seats, "max_seats": s.max_seats,',
  '                    "max_integrations": s.max_integrations, "quotas": {str(q): v for q, v in s.quotas.items()},',
  '                    "retention_days": s.retention_days, "purchasable": s.purchasable,',
  '                    "cost_alert_share": s.cost_alert_share} for s in c.PLANS.values()]}',
  'sys.stdout.write(json.dumps({"openapi": create_app(Settings()).openapi(), "roles": roles, "plans": plans}))',
].join('\n');
const out = JSON.parse(execFileSync(python, ['-c', code], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 }));
writeFileSync(resolve(here, '..', 'src', 'api', 'openapi.json'), JSON.stringify(out.openapi, null, 1) + '\n');
writeFileSync(resolve(here, '..', 'src', 'auth', 'roles.json'), JSON.stringify(out.roles, null, 2) + '\n');
writeFileSync(resolve(here, '..', 'src', 'pages', 'billing', 'plans.json'), JSON.stringify(out.plans, null, 2) + '\n');
console.log('wrote src/api/openapi.json, src/auth/roles.json and src/pages/billing/plans.json');
