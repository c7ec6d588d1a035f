'use strict';
// A stand-in for an Auth0 tenant, for the end-to-end test and a local demo: it "logs in" a user
// from its own small user store, runs the post-login Action (../profile-step.js) with the runtime
// double (./actions-runtime.js), redirects to where the Action says with a state, resumes at
// /continue, applies the metadata the Action set, and issues the client-credentials tokens the
// Action asks for (RS256, with a JWKS, as the service verifies them). As Auth0 does, it ends a
// login by redirecting to the application's callback, on another origin: a small "application"
// server it runs beside itself, which shows the user's metadata. It follows Auth0's documented
// redirect mechanics; it is not Auth0 and holds no real user.
//
// Run it for a demo (see docs/login-step.md):
//   PROFILE_LOGIN_SECRET=... node client/auth0-action/standin/server.js
// Settings (environment): STANDIN_PORT (4000), STANDIN_APP_PORT (the application's, 4001),
// PROFILE_SERVICE_URL (http://127.0.0.1:8080), PROFILE_LOGIN_SECRET (required, the service's),
// STANDIN_AUDIENCE (https://profiles.local/api).

const http = require('node:http');
const crypto = require('node:crypto');
const path = require('node:path');

const { createCache, createApi, applyOutcome } = require('./actions-runtime');
const { rsaSigner } = require('./jwt');

const DEFAULT_AUDIENCE = 'https://profiles.local/api';
const CLIENT_ID = 'standin-action-client';
const FLOW_TIMEOUT_MS = 20000;

/** Users of the demo, shaped like Auth0 user objects. */
function demoUsers() {
  return [
    { user_id: 'google-oauth2|ada', email: 'ada@example.com', email_verified: true, given_name: 'Ada', name: 'Ada', logins_count: 1, user_metadata: { theme: 'dark' }, app_metadata: {} },
    { user_id: 'auth0|grace', email: 'grace@example.com', email_verified: true, name: 'grace@example.com', logins_count: 0, user_metadata: {}, app_metadata: {} },
  ];
}

/**
 * Creates the stand-in. options: serviceUrl, secret, audience, users, actionPath, stepUrl.
 * Call listen(port | {fd}, appPort) to serve (appPort 0 or absent: any free port); url and
 * appUrl are known once listening.
 */
function createStandin(options) {
  const action = require(options.actionPath || path.join(__dirname, '..', 'profile-step.js'));
  const clientSecret = crypto.randomBytes(24).toString('base64url');
  const signer = rsaSigner();
  const cache = createCache();
  const users = new Map((options.users || demoUsers()).map((u) => [u.user_id, u]));
  const transactions = new Map(); // state -> {userId, outcomes, used}
  const counts = { token: 0, managementApi: 0 };
  const self = { url: '', appUrl: '', counts, users };

  const secrets = () => ({
    PROFILE_SERVICE_URL: options.serviceUrl,
    PROFILE_LOGIN_SECRET: options.secret,
    AUTH0_DOMAIN: self.url,
    PROFILE_CLIENT_ID: CLIENT_ID,
    PROFILE_CLIENT_SECRET: clientSecret,
    PROFILE_API_AUDIENCE: options.audience || DEFAULT_AUDIENCE,
    ...(options.stepUrl ? { PROFILE_STEP_URL: options.stepUrl } : {}),
    ...(options.extraSecrets || {}),
  });
  const host = () => new URL(self.url).host;

  function event(user, req, transaction) {
    return {
      user: JSON.parse(JSON.stringify(user)),
      stats: { logins_count: user.logins_count },
      request: { ip: '127.0.0.1', hostname: host(), language: req.headers['accept-language'] || '', method: req.method, query: {}, body: {} },
      transaction: { protocol: 'oidc-basic-profile', prompt: [], ...transaction },
      client: { client_id: 'standin-app', name: 'Demo application', metadata: {} },
      connection: { id: 'con_standin', name: 'standin', strategy: 'auth0' },
      tenant: { id: 'standin' },
      secrets: secrets(),
    };
  }

  async function withTimeout(promise) {
    let timer;
    const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('the Action took longer than 20 s')), FLOW_TIMEOUT_MS); });
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function authorize(req, res, query) {
    const user = users.get(query.get('user'));
    if (!user) {
      return page(res, 400, 'invalid_request', '<p>Unknown user.</p>');
    }
    user.logins_count = (user.logins_count || 0) + 1;
    const uiLocales = (query.get('ui_locales') || '').split(' ').filter(Boolean);
    const ev = event(user, req, uiLocales.length ? { ui_locales: uiLocales } : {});
    const { api, outcome } = createApi({ event: ev, cache, tenantHost: host() });
    try {
      await withTimeout(action.onExecutePostLogin(ev, api));
    } catch (err) {
      return page(res, 500, 'Action failed', `<p>${escape(err.message)}</p>`);
    }
    if (outcome.denied) {
      return page(res, 403, 'access_denied', `<p>${escape(outcome.denied)}</p>`);
    }
    if (!outcome.redirect) {
      return finish(res, user, [outcome]);
    }
    const state = crypto.randomBytes(24).toString('base64url');
    transactions.set(state, { userId: user.user_id, outcomes: [outcome], used: false });
    const target = new URL(outcome.redirect.url);
    for (const [k, v] of Object.entries(outcome.redirect.query)) {
      target.searchParams.set(k, v);
    }
    target.searchParams.set('state', state);
    res.writeHead(302, { Location: target.toString(), 'Set-Cookie': `standin_tx=${state}; Path=/; HttpOnly; SameSite=Lax` });
    res.end();
  }

  async function resume(req, res, params) {
    const state = params.get('state') || '';
    const tx = transactions.get(state);
    const cookie = (req.headers.cookie || '').split(/;\s*/).find((c) => c === `standin_tx=${state}`);
    if (!tx || tx.used || !cookie) {
      return page(res, 400, 'invalid_request', '<p>The login transaction is unknown, used, or belongs to another browser.</p>');
    }
    tx.used = true;
    const user = users.get(tx.userId);
    const ev = event(user, req, {});
    const continueRequest = Object.fromEntries(params);
    const { api, outcome } = createApi({ event: ev, cache, tenantHost: host(), continueRequest });
    try {
      await withTimeout(action.onContinuePostLogin(ev, api));
    } catch (err) {
      return page(res, 500, 'Action failed', `<p>${escape(err.message)}</p>`);
    }
    finish(res, user, [...tx.outcomes, outcome]);
  }

  function finish(res, user, outcomes) {
    let next = user;
    for (const o of outcomes) {
      next = applyOutcome(next, o);
    }
    users.set(user.user_id, next);
    // Auth0 ends the login at the application's callback, on the application's origin.
    res.writeHead(302, { Location: `${self.appUrl}/callback?user=${encodeURIComponent(user.user_id)}` });
    res.end();
  }

  function token(req, res, body) {
    counts.token++;
    let params;
    try {
      params = (req.headers['content-type'] || '').includes('json') ? JSON.parse(body) : Object.fromEntries(new URLSearchParams(body));
    } catch (_) {
      params = {};
    }
    if (params.grant_type !== 'client_credentials' || params.client_id !== CLIENT_ID || params.client_secret !== clientSecret) {
      return json(res, 401, { error: 'access_denied', error_description: 'Unauthorized' });
    }
    if (params.audience !== (options.audience || DEFAULT_AUDIENCE)) {
      return json(res, 403, { error: 'access_denied', error_description: 'Service not enabled within domain' });
    }
    const iat = Math.floor(Date.now() / 1000);
    const accessToken = signer.sign({
      iss: `${self.url}/`, sub: `${CLIENT_ID}@clients`, azp: CLIENT_ID, gty: 'client-credentials',
      aud: params.audience, scope: 'read:profiles', iat, exp: iat + 86400,
    });
    json(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 86400, scope: 'read:profiles' });
  }

  function callback(res, query) {
    const user = users.get(query.get('user'));
    if (!user) {
      return page(res, 404, 'Not found', '');
    }
    page(res, 200, 'Signed in', `<p>Signed in as <strong>${escape(user.user_id)}</strong>, login ${user.logins_count}.</p>
<h2>user_metadata</h2><pre id="user_metadata">${escape(JSON.stringify(user.user_metadata, null, 2))}</pre>
<h2>app_metadata</h2><pre id="app_metadata">${escape(JSON.stringify(user.app_metadata, null, 2))}</pre>
<p><a href="${escape(self.url)}/">Back</a></p>`);
  }

  function home(res) {
    const items = [...users.values()].map((u) => `<li>${escape(u.user_id)} (login ${u.logins_count}):
 <a href="/authorize?user=${encodeURIComponent(u.user_id)}">sign in</a> ·
 <a href="/authorize?user=${encodeURIComponent(u.user_id)}&amp;ui_locales=fr">en français</a> ·
 <a href="/authorize?user=${encodeURIComponent(u.user_id)}&amp;ui_locales=de">auf Deutsch</a></li>`).join('\n');
    page(res, 200, 'Auth0 stand-in', `<p>A local stand-in for an Auth0 tenant running the post-login Action. The profile service is expected at ${escape(options.serviceUrl)}.</p><ul>${items}</ul>`);
  }

  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; if (body.length > 1 << 20) req.destroy(); });
    req.on('end', () => {
      const u = new URL(req.url, 'http://standin');
      const route = `${req.method} ${u.pathname}`;
      const run = {
        'GET /': () => home(res),
        'GET /authorize': () => authorize(req, res, u.searchParams),
        'GET /continue': () => resume(req, res, u.searchParams),
        'POST /continue': () => resume(req, res, new URLSearchParams(body)),
        'POST /oauth/token': () => token(req, res, body),
        'GET /.well-known/jwks.json': () => json(res, 200, signer.jwks()),
        'GET /debug/user': () => json(res, users.has(u.searchParams.get('user')) ? 200 : 404, users.get(u.searchParams.get('user')) || {}),
      }[route];
      if (!run) {
        if (u.pathname.startsWith('/api/v2/')) {
          counts.managementApi++;
        }
        return json(res, 404, { error: 'not_found' });
      }
      Promise.resolve(run()).catch((err) => page(res, 500, 'Error', `<p>${escape(err.message)}</p>`));
    });
  });

  // The application the logins are for: another origin, as an application's callback is.
  const app = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://app');
    if (req.method === 'GET' && u.pathname === '/callback') {
      return callback(res, u.searchParams);
    }
    page(res, 404, 'Not found', '');
  });

  const serve = (srv, where) => new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(where, () => resolve(`http://127.0.0.1:${srv.address().port}`));
  });
  self.listen = async (where, appPort = 0) => {
    self.url = await serve(server, where);
    self.appUrl = await serve(app, { port: appPort, host: '127.0.0.1' });
    return self;
  };
  const stop = (srv) => new Promise((resolve) => {
    if (!srv.listening) {
      return resolve();
    }
    srv.closeAllConnections();
    srv.close(() => resolve());
  });
  self.close = () => Promise.all([stop(server), stop(app)]);
  return self;
}

function json(res, code, obj) {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(obj));
}

function page(res, code, title, body) {
  res.writeHead(code, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title></head><body><h1>${escape(title)}</h1>${body}</body></html>`);
}

function escape(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

module.exports = { createStandin, demoUsers, DEFAULT_AUDIENCE };

if (require.main === module) {
  const secret = process.env.PROFILE_LOGIN_SECRET;
  if (!secret || Buffer.byteLength(secret) < 32) {
    console.error('PROFILE_LOGIN_SECRET must hold the service\'s secret (at least 32 bytes)');
    process.exit(2);
  }
  const standin = createStandin({
    serviceUrl: process.env.PROFILE_SERVICE_URL || 'http://127.0.0.1:8080',
    secret,
    audience: process.env.STANDIN_AUDIENCE || DEFAULT_AUDIENCE,
  });
  const port = Number(process.env.STANDIN_PORT || 4000);
  const appPort = Number(process.env.STANDIN_APP_PORT || 4001);
  standin.listen({ port, host: '127.0.0.1' }, appPort).then((s) => {
    console.log(`Auth0 stand-in at ${s.url}, its application at ${s.appUrl}; open ${s.url}/ in a browser to sign in`);
  }, (err) => {
    console.error(err.message);
    process.exit(1);
  });
}
