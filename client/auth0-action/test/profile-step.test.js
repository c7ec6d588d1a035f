'use strict';
// Tests of the Action with Node's built-in runner (node --test), against a fake event and api
// written from Auth0's documentation (../standin/actions-runtime.js) and a fake service and token
// endpoint on a local port.

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');

const action = require('../profile-step');
const { createCache, createApi } = require('../standin/actions-runtime');
const { signHS256, verifyHS256 } = require('../standin/jwt');

const SECRET = 'login-step-secret-for-the-action-tests-0123';
const TENANT = 'acme.eu.auth0.com';
const ADA = 'google-oauth2|ada/1';

/** A fake of the service's REST API and the tenant's /oauth/token, counting what it gets. */
async function fakeBackend(behaviour = {}) {
  const seen = { token: [], prompt: [] };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const send = (code, obj) => {
        res.writeHead(code, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      if (req.url === '/oauth/token') {
        seen.token.push(JSON.parse(body));
        if (behaviour.tokenStatus) {
          return send(behaviour.tokenStatus, { error: 'access_denied', error_description: 'Unauthorized' });
        }
        return send(200, { access_token: `svc-token-${seen.token.length}`, token_type: 'Bearer', expires_in: 86400 });
      }
      seen.prompt.push({ url: req.url, auth: req.headers.authorization, body: JSON.parse(body || '{}') });
      const answer = () => {
        if (behaviour.rejectToken && req.headers.authorization === `Bearer ${behaviour.rejectToken}`) {
          return send(401, { code: 16, message: 'missing or invalid access token' });
        }
        if (behaviour.status) {
          return send(behaviour.status, { code: 14, message: 'the profile store is unavailable' });
        }
        const due = behaviour.due !== false;
        return send(200, {
          due,
          prompt: { fields: [], topics: [], complete: !due, known_count: 1, applicable_count: 2 },
          session_token_claims: due ? { profile_step: { v: 1, context: 'login' } } : null,
        });
      };
      if (behaviour.delayMs) {
        setTimeout(answer, behaviour.delayMs);
      } else {
        answer();
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, seen, close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }) };
}

function secrets(backendUrl, extra = {}) {
  return {
    PROFILE_SERVICE_URL: backendUrl,
    PROFILE_LOGIN_SECRET: SECRET,
    AUTH0_DOMAIN: backendUrl,
    PROFILE_CLIENT_ID: 'action-m2m',
    PROFILE_CLIENT_SECRET: 'm2m-secret',
    PROFILE_API_AUDIENCE: 'https://profiles.example.com/api',
    ...extra,
  };
}

/** A post-login event for Ada at her second login, as the Event Object documentation shapes it. */
function loginEvent(secretValues, overrides = {}) {
  return {
    user: {
      user_id: ADA, email: 'ada@example.com', email_verified: true, given_name: 'Ada', name: 'Ada',
      created_at: '2026-01-01T00:00:00.000Z', logins_count: 1,
      identities: [{ provider: 'google-oauth2', user_id: 'ada/1', connection: 'google-oauth2', isSocial: true }],
      user_metadata: { theme: 'dark' }, app_metadata: { plan: 'pro' },
    },
    stats: { logins_count: 2 },
    request: { ip: '203.0.113.7', hostname: TENANT, language: 'de-DE,de;q=0.9,en;q=0.8', method: 'GET', query: {}, body: {}, geoip: {} },
    transaction: { protocol: 'oidc-basic-profile', ui_locales: ['fr-CA', 'fr'], prompt: [], requested_scopes: ['openid'] },
    client: { client_id: 'app', name: 'App', metadata: {} },
    connection: { id: 'con_1', name: 'google-oauth2', strategy: 'google-oauth2' },
    tenant: { id: 'acme' },
    secrets: secretValues,
    ...overrides,
  };
}

/** Captures the Action's console lines during fn. */
async function logsOf(fn) {
  const lines = [];
  const original = console.log;
  console.log = (...args) => lines.push(args.join(' '));
  try {
    await fn();
  } finally {
    console.log = original;
  }
  return lines;
}

test('redirects to the step with a signed session token when something is due', async (t) => {
  const backend = await fakeBackend();
  t.after(backend.close);
  const event = loginEvent(secrets(backend.url));
  const cache = createCache();
  const { api, outcome } = createApi({ event, cache, tenantHost: TENANT });

  await action.onExecutePostLogin(event, api);

  assert.ok(outcome.redirect, 'no redirect');
  assert.equal(outcome.redirect.url, `${backend.url}/login/profile`);
  const claims = verifyHS256(outcome.redirect.query.session_token, SECRET);
  assert.deepEqual(claims.profile_step, { v: 1, context: 'login' });
  assert.equal(claims.sub, ADA);
  assert.equal(claims.iss, TENANT);
  assert.equal(claims.exp - claims.iat, 600);

  // The normal client-credentials request, then the service with its token.
  assert.deepEqual(backend.seen.token, [{
    grant_type: 'client_credentials', client_id: 'action-m2m', client_secret: 'm2m-secret',
    audience: 'https://profiles.example.com/api',
  }]);
  const call = backend.seen.prompt[0];
  assert.equal(call.url, `/v1/users/${encodeURIComponent(ADA)}/login-prompt`);
  assert.equal(call.auth, 'Bearer svc-token-1');
  assert.deepEqual(call.body, {
    context: 'login',
    locale: 'fr-CA',
    profile: {
      attributes: { user_id: ADA, email: 'ada@example.com', email_verified: true, given_name: 'Ada', name: 'Ada', created_at: '2026-01-01T00:00:00.000Z', logins_count: 1 },
      user_metadata: { theme: 'dark' },
      app_metadata: { plan: 'pro' },
      logins_count: 2,
    },
  });
  // The token is cached for the next logins, shy of its expiry and of the cache's 24 h.
  const record = cache.get('progressive-profiling:service-token');
  assert.equal(record.value, 'svc-token-1');
  assert.ok(record.expires_at <= Date.now() + (86400 - 60) * 1000);

  const next = loginEvent(secrets(backend.url));
  await action.onExecutePostLogin(next, createApi({ event: next, cache, tenantHost: TENANT }).api);
  assert.equal(backend.seen.token.length, 1, 'the cached token was not reused');
  assert.equal(backend.seen.prompt[1].auth, 'Bearer svc-token-1');
});

test('sends the user to PROFILE_STEP_URL when it is set, and asks the service at its base URL', async (t) => {
  const backend = await fakeBackend();
  t.after(backend.close);
  const event = loginEvent(secrets(`${backend.url}/`, { PROFILE_STEP_URL: 'https://step.example.com/profile' }));
  const { api, outcome } = createApi({ event, cache: createCache(), tenantHost: TENANT });
  await action.onExecutePostLogin(event, api);
  assert.ok(outcome.redirect, 'no redirect');
  assert.equal(outcome.redirect.url, 'https://step.example.com/profile');
  assert.equal(backend.seen.prompt[0].url, `/v1/users/${encodeURIComponent(ADA)}/login-prompt`);
});

test('lets the login go on without a redirect when nothing is due', async (t) => {
  const backend = await fakeBackend({ due: false });
  t.after(backend.close);
  const event = loginEvent(secrets(backend.url));
  const { api, outcome } = createApi({ event, cache: createCache(), tenantHost: TENANT });
  const logs = await logsOf(() => action.onExecutePostLogin(event, api));
  assert.equal(outcome.redirect, null);
  assert.equal(outcome.denied, null);
  assert.equal(outcome.userMetadata.size + outcome.appMetadata.size, 0);
  assert.deepEqual(logs, []);
  assert.equal(backend.seen.prompt.length, 1);
});

for (const [name, behaviour, want] of [
  ['the service is down', 'down', /fetch failed \(ECONNREFUSED\)/],
  ['the service is slow', { delayMs: 3000 }, /did not answer within 2000 ms/],
  ['the service answers an error', { status: 503 }, /the service answered 503: the profile store is unavailable/],
  ['the token endpoint refuses the client', { tokenStatus: 401 }, /the token endpoint answered 401: Unauthorized/],
]) {
  test(`never blocks the login when ${name}`, async (t) => {
    const backend = await fakeBackend(behaviour === 'down' ? {} : behaviour);
    t.after(backend.close);
    let url = backend.url;
    if (behaviour === 'down') {
      await backend.close();
      url = backend.url;
    }
    const event = loginEvent(secrets(url));
    const { api, outcome } = createApi({ event, cache: createCache(), tenantHost: TENANT });
    const started = Date.now();
    const logs = await logsOf(() => action.onExecutePostLogin(event, api));
    assert.ok(Date.now() - started < 2600, `took ${Date.now() - started} ms`);
    assert.equal(outcome.redirect, null);
    assert.equal(outcome.denied, null);
    assert.equal(logs.length, 1);
    assert.match(logs[0], /^progressive-profiling: profile step skipped, login goes on: /);
    assert.match(logs[0], want);
    assert.ok(logs[0].length <= 256);
    assert.ok(!logs[0].includes(SECRET) && !logs[0].includes('m2m-secret'));
  });
}

test('gets a new service token once when the cached one is refused', async (t) => {
  const backend = await fakeBackend({ rejectToken: 'stale-token' });
  t.after(backend.close);
  const cache = createCache();
  cache.set('progressive-profiling:service-token', 'stale-token');
  const event = loginEvent(secrets(backend.url));
  const { api, outcome } = createApi({ event, cache, tenantHost: TENANT });
  await action.onExecutePostLogin(event, api);
  assert.ok(outcome.redirect);
  assert.deepEqual(backend.seen.prompt.map((p) => p.auth), ['Bearer stale-token', 'Bearer svc-token-1']);
  assert.equal(cache.get('progressive-profiling:service-token').value, 'svc-token-1');
});

test('does not call the service where Auth0 cannot redirect', async (t) => {
  const backend = await fakeBackend();
  t.after(backend.close);
  for (const transaction of [
    { protocol: 'oauth2-refresh-token' },
    { protocol: 'oauth2-password' },
    { protocol: 'oidc-basic-profile', prompt: ['none'] },
    { protocol: 'oidc-basic-profile', prompt: 'none' },
  ]) {
    const event = loginEvent(secrets(backend.url), { transaction });
    const { api, outcome } = createApi({ event, cache: createCache(), tenantHost: TENANT });
    const logs = await logsOf(() => action.onExecutePostLogin(event, api));
    assert.equal(outcome.redirect, null);
    assert.match(logs[0], /no profile step/);
  }
  assert.equal(backend.seen.prompt.length + backend.seen.token.length, 0);
});

test('names the missing secrets and lets the login go on', async () => {
  const event = loginEvent({ PROFILE_SERVICE_URL: 'https://profiles.example.com' });
  const { api, outcome } = createApi({ event, cache: createCache(), tenantHost: TENANT });
  const logs = await logsOf(() => action.onExecutePostLogin(event, api));
  assert.equal(outcome.redirect, null);
  assert.match(logs[0], /missing secrets: PROFILE_LOGIN_SECRET, AUTH0_DOMAIN, PROFILE_CLIENT_ID, PROFILE_CLIENT_SECRET, PROFILE_API_AUDIENCE/);
});

test('takes the locale from ui_locales, then the transaction, then the browser', async (t) => {
  const backend = await fakeBackend({ due: false });
  t.after(backend.close);
  const cases = [
    [{ ui_locales: 'de fr' }, {}, 'de'],
    [{ ui_locales: [], locale: 'es' }, {}, 'es'],
    [{}, { language: 'pt-BR,pt;q=0.9' }, 'pt-BR'],
    [{ ui_locales: ['<script>'] }, { language: '*' }, ''],
  ];
  for (const [transaction, request, want] of cases) {
    const event = loginEvent(secrets(backend.url), { transaction: { protocol: 'oidc-basic-profile', ...transaction }, request: { ip: '203.0.113.7', ...request } });
    await action.onExecutePostLogin(event, createApi({ event, cache: createCache(), tenantHost: TENANT }).api);
    assert.equal(backend.seen.prompt.at(-1).body.locale, want, JSON.stringify(transaction));
  }
});

/** The token the step posts back to /continue, as the step signs it. */
function stepToken(ops, { state = 'state-1', secret = SECRET, exp = Math.floor(Date.now() / 1000) + 120, sub = ADA } = {}) {
  return signHS256({ iss: 'urn:progressive-profiling:login-step', sub, iat: Math.floor(Date.now() / 1000), exp, state, profile_changes: { v: 1, ops } }, secret);
}

function continueWith(token, extraSecrets = {}, state = 'state-1', user = {}) {
  const event = loginEvent(secrets('https://profiles.example.com', extraSecrets));
  Object.assign(event.user, user);
  const { api, outcome } = createApi({ event, cache: createCache(), tenantHost: TENANT, continueRequest: { state, session_token: token } });
  return { event, api, outcome };
}

test('applies the validated answers from the fresh profile, keeping what others stored', async () => {
  const now = '2026-11-25T10:00:00Z';
  const token = stepToken([
    { op: 'set', in: 'user_metadata', path: ['last_name'], value: 'Lovelace' },
    { op: 'set', in: 'user_metadata', path: ['subscribed', 'weekly-digest', 'since'], value: now },
    { op: 'set', in: 'user_metadata', path: ['subscribed', 'weekly-digest', 'source'], value: 'login' },
    { op: 'remove', in: 'app_metadata', path: ['profiling_declines', 'fields', 'last_name'] },
    { op: 'set', in: 'app_metadata', path: ['profiling_declines', 'fields', 'title'], value: now },
  ]);
  // Since the step was shown, another application subscribed her to "news" and a decline of
  // "company" was recorded: both must survive.
  const { event, api, outcome } = continueWith(token, { PROFILE_ID_TOKEN_CLAIM: 'https://example.com/profile' }, 'state-1', {
    user_metadata: { theme: 'dark', subscribed: { news: { since: '2026-01-01T00:00:00Z', source: 'app' } } },
    app_metadata: { plan: 'pro', profiling_declines: { fields: { last_name: '2026-11-01T00:00:00Z', company: '2026-11-20T00:00:00Z' } } },
  });
  const logs = await logsOf(() => action.onContinuePostLogin(event, api));
  assert.deepEqual(logs, []);
  assert.deepEqual(Object.fromEntries(outcome.userMetadata), {
    last_name: 'Lovelace',
    subscribed: { news: { since: '2026-01-01T00:00:00Z', source: 'app' }, 'weekly-digest': { since: now, source: 'login' } },
  });
  assert.deepEqual(Object.fromEntries(outcome.appMetadata), {
    profiling_declines: { fields: { company: '2026-11-20T00:00:00Z', title: now } },
  });
  assert.deepEqual(outcome.idTokenClaims, { 'https://example.com/profile': { last_name: 'Lovelace' } });
  assert.equal(outcome.denied, null);
});

test('applies only the declines when the user skipped, and removes an emptied object', async () => {
  const token = stepToken([
    { op: 'set', in: 'app_metadata', path: ['profiling_declines', 'topics', 'weekly-digest'], value: '2026-11-25T10:00:00Z' },
    { op: 'remove', in: 'app_metadata', path: ['old_marker'] },
    { op: 'remove', in: 'user_metadata', path: ['subscribed', 'gone'] },
  ]);
  const { event, api, outcome } = continueWith(token, {}, 'state-1', { user_metadata: { subscribed: { gone: { since: 'x' } } }, app_metadata: { old_marker: true } });
  await action.onContinuePostLogin(event, api);
  assert.deepEqual(Object.fromEntries(outcome.userMetadata), { subscribed: null });
  assert.deepEqual(Object.fromEntries(outcome.appMetadata), {
    profiling_declines: { topics: { 'weekly-digest': '2026-11-25T10:00:00Z' } },
    old_marker: null,
  });
  assert.deepEqual(outcome.idTokenClaims, {});
});

for (const [name, token, state, want] of [
  ['a tampered token', (() => { const p = stepToken([{ op: 'set', in: 'user_metadata', path: ['x'], value: 1 }]).split('.'); return `${p[0]}.${Buffer.from(JSON.stringify({ state: 'state-1', exp: 9e9, profile_changes: { v: 1, ops: [{ op: 'set', in: 'app_metadata', path: ['role'], value: 'admin' }] } })).toString('base64url')}.${p[2]}`; })(), 'state-1', /invalid signature/],
  ['an expired token', stepToken([{ op: 'set', in: 'user_metadata', path: ['x'], value: 1 }], { exp: Math.floor(Date.now() / 1000) - 5 }), 'state-1', /expired/],
  ['a token of another state', stepToken([{ op: 'set', in: 'user_metadata', path: ['x'], value: 1 }], { state: 'state-0' }), 'state-1', /State in the token does not match/],
  ['a token signed with another secret', stepToken([{ op: 'set', in: 'user_metadata', path: ['x'], value: 1 }], { secret: 'another-secret-of-enough-length-000000' }), 'state-1', /invalid signature/],
  ['no token (the step failed)', undefined, 'state-1', /malformed token/],
  ['a token for another user', stepToken([{ op: 'set', in: 'user_metadata', path: ['x'], value: 1 }], { sub: 'auth0|eve' }), 'state-1', /another user/],
  ['a token naming no user', signHS256({ exp: 9e9, state: 'state-1', profile_changes: { v: 1, ops: [{ op: 'set', in: 'user_metadata', path: ['x'], value: 1 }] } }, SECRET), 'state-1', /names no user/],
  ['a change reaching for the prototype', stepToken([{ op: 'set', in: 'user_metadata', path: ['__proto__', 'polluted'], value: 1 }]), 'state-1', /malformed change/],
  ['changes of an unknown version', signHS256({ sub: ADA, exp: 9e9, state: 'state-1', profile_changes: { v: 2, ops: [] } }, SECRET), 'state-1', /no changes of a known version/],
]) {
  test(`applies nothing and lets the login go on with ${name}`, async () => {
    const { event, api, outcome } = continueWith(token, {}, state);
    const logs = await logsOf(() => action.onContinuePostLogin(event, api));
    assert.equal(outcome.userMetadata.size + outcome.appMetadata.size, 0);
    assert.equal(outcome.denied, null);
    assert.equal(logs.length, 1);
    assert.match(logs[0], /^progressive-profiling: profile answers not applied, login goes on: /);
    assert.match(logs[0], want);
    assert.equal({}.polluted, undefined);
  });
}
