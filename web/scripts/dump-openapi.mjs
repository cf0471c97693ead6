// Dumps the backend's OpenAPI document (from brain.app.create_app, no server needed) into
// src/api/openapi.json, and the built-in roles' permissions into src/auth/roles.json;
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
  'sys.stdout.write(json.dumps({"openapi": create_app(Settings()).openapi(), "roles": roles}))',
].join('\n');
const out = JSON.parse(execFileSync(python, ['-c', code], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 }));
writeFileSync(resolve(here, '..', 'src', 'api', 'openapi.json'), JSON.stringify(out.openapi, null, 1) + '\n');
writeFileSync(resolve(here, '..', 'src', 'auth', 'roles.json'), JSON.stringify(out.roles, null, 2) + '\n');
console.log('wrote src/api/openapi.json and src/auth/roles.json');
