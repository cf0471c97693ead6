// A real, certified OpenID provider (panva/node-oidc-provider) on loopback, for Brain's SSO
// and social-login tests.
//
//   node tests/oidc_provider/provider.mjs --port 0 --config config.json
//
// The config (JSON file, or inline with --config-json) lists the clients and the test users:
//
//   {"clients": [{"client_id": "brain", "client_secret": "…",
//                 "redirect_uris": ["http://127.0.0.1:8000/api/v1/auth/sso/callback"],
//                 "token_endpoint_auth_method": "client_secret_basic"}],
//    "users": {"alice": {"email": "alice@acme.test", "email_verified": true,
//                        "name": "Alice", "groups": ["engineering"]}},
//    "conformIdTokenClaims": false}
//
// Optional: "claims" (scope → claim names; default: email → email, email_verified; profile →
// name, given_name, family_name, groups) and "clientAuthMethods" (what the token endpoint
// accepts and discovery announces).
//
// Instead of a login page, `/interaction/<uid>?user=<account id>` logs that user in and grants
// the requested scopes, so tests drive the whole flow with plain HTTP requests. Without
// `?user=` the `login_hint` of the authorization request (an account id or an email) is used;
// `?deny=1` ends the interaction with `access_denied`. When the provider is ready, one line
// `READY <issuer>` is printed on stdout.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    config: { type: 'string' },
    'config-json': { type: 'string' },
    // Exit when stdin closes, so the provider never outlives the test run that started it.
    'watch-stdin': { type: 'boolean', default: false },
  },
});

function loadConfig() {
  if (args['config-json']) return JSON.parse(args['config-json']);
  if (args.config) return JSON.parse(readFileSync(args.config, 'utf8'));
  throw new Error('pass --config <file> or --config-json <json>');
}

const config = loadConfig();
const users = config.users ?? {};

function signingKeys() {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return {
    keys: [
      { ...rsa, kid: `rsa-${randomBytes(4).toString('hex')}`, use: 'sig', alg: 'RS256' },
      { ...ec, kid: `ec-${randomBytes(4).toString('hex')}`, use: 'sig', alg: 'ES256' },
    ],
  };
}

function findUserId(hint) {
  if (!hint) return undefined;
  if (users[hint]) return hint;
  const lowered = String(hint).toLowerCase();
  return Object.keys(users).find((id) => String(users[id].email ?? '').toLowerCase() === lowered);
}

async function findAccount(_ctx, id) {
  const user = users[id];
  if (!user) return undefined;
  return {
    accountId: id,
    async claims() {
      return { sub: id, ...user };
    },
  };
}

function clients() {
  return (config.clients ?? []).map((client) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    id_token_signed_response_alg: 'RS256',
    ...client,
  }));
}

async function main() {
  const port = Number(args.port);
  const server = createServer();
  await new Promise((resolve) => server.listen(port, args.host, resolve));
  const issuer = `http://${args.host}:${server.address().port}`;

  const provider = new Provider(issuer, {
    clients: clients(),
    jwks: signingKeys(),
    findAccount,
    claims: config.claims ?? {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'groups'],
    },
    // false: the ID token carries the scopes' claims (as Google and Entra ID do); true: only
    // UserInfo has them (the strict reading of OpenID Connect Core §5.4).
    conformIdTokenClaims: config.conformIdTokenClaims ?? false,
    ...(config.clientAuthMethods ? { clientAuthMethods: config.clientAuthMethods } : {}),
    cookies: { keys: [randomBytes(32).toString('hex')] },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      revocation: { enabled: false },
    },
    pkce: { required: () => true },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
  });
  provider.on('server_error', (_ctx, err) => console.error('provider error:', err));

  const oidc = provider.callback();

  async function interaction(req, res) {
    const url = new URL(req.url, issuer);
    const details = await provider.interactionDetails(req, res);
    if (url.searchParams.get('deny')) {
      await provider.interactionFinished(req, res, {
        error: 'access_denied', error_description: 'The test user declined.',
      }, { mergeWithLastSubmission: false });
      return;
    }
    const accountId = findUserId(url.searchParams.get('user'))
      ?? findUserId(details.params.login_hint)
      ?? (details.session?.accountId);
    if (!accountId) {
      res.statusCode = 200;
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.end(`login required: GET /interaction/${details.uid}?user=<account id>\n`);
      return;
    }
    if (details.session?.accountId && details.session.accountId !== accountId) {
      await provider.interactionFinished(req, res, {
        error: 'login_required', error_description: 'Another user is logged in.',
      }, { mergeWithLastSubmission: false });
      return;
    }
    const clientId = details.params.client_id;
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId, clientId });
    grant.addOIDCScope(String(details.params.scope ?? 'openid'));
    const missingClaims = details.prompt?.details?.missingOIDCClaims;
    if (Array.isArray(missingClaims) && missingClaims.length) grant.addOIDCClaims(missingClaims);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, {
      login: { accountId },
      consent: { grantId },
    }, { mergeWithLastSubmission: false });
  }

  server.on('request', (req, res) => {
    if (req.url.startsWith('/interaction/')) {
      interaction(req, res).catch((err) => {
        res.statusCode = 400;
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.end(`interaction failed: ${err.message}\n`);
      });
      return;
    }
    oidc(req, res);
  });

  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (args['watch-stdin']) {
    process.stdin.on('end', stop);
    process.stdin.resume();
  }
  process.stdout.write(`READY ${issuer}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
