/**
 * Progressive profiling at login: an Auth0 post-login Action.
 *
 * At each interactive login it asks the progressive profiling service whether something is due,
 * from the profile Auth0 hands the Action (no Management API read). When something is, it sends
 * the user to the service's hosted profile step; when the user comes back, it applies the answers
 * the step validated with api.user.setUserMetadata / setAppMetadata (no Management API write).
 * It never blocks a login: if the service is down, slow (over 2 s) or answers an error, the login
 * goes on and the Action logs why.
 *
 * Paste this file into the Actions editor (Login flow, post-login trigger; Node 18 or later, no
 * npm module needed) and add these secrets:
 *   PROFILE_SERVICE_URL    base URL of the service's HTTP port, e.g. https://profiles.example.com
 *   PROFILE_LOGIN_SECRET   the secret shared with the service (its PROFILE_LOGIN_SECRET), >= 32 bytes
 *   AUTH0_DOMAIN           your tenant's domain, e.g. acme.eu.auth0.com (for /oauth/token)
 *   PROFILE_CLIENT_ID      client id of a machine-to-machine application allowed read:profiles
 *   PROFILE_CLIENT_SECRET  its client secret
 *   PROFILE_API_AUDIENCE   the identifier of the service's API (the service's AUTH0_AUDIENCE)
 * Optional:
 *   PROFILE_STEP_URL       where the step is served, when not PROFILE_SERVICE_URL/login/profile
 *   PROFILE_ID_TOKEN_CLAIM a namespaced claim (https://example.com/profile) that receives the
 *                          answers given at this login in the ID token
 *
 * See docs/login-step.md in the repository.
 */
'use strict';

/** The most the service may take, token request included, before the login goes on without it. */
const SERVICE_TIMEOUT_MS = 2000;
/** Lifetime of the token that carries the user to the step: time enough to fill in the form. */
const STEP_TOKEN_SECONDS = 600;
/** The api.cache key of the service token (at most 64 bytes). */
const TOKEN_CACHE_KEY = 'progressive-profiling:service-token';
/** Margin kept before a cached service token expires. */
const TOKEN_EXPIRY_MARGIN_SECONDS = 60;
/** api.cache keeps entries at most 24 hours. */
const CACHE_MAX_SECONDS = 24 * 3600;
/** The prompt context of the login step. */
const LOGIN_CONTEXT = 'login';
/** Version of the changes the step sends back. */
const CHANGES_VERSION = 1;
/**
 * Transactions where Auth0 cannot redirect (its documentation: Resource Owner password grants,
 * refresh token exchanges; no browser either in token exchange or CIBA).
 */
const NO_BROWSER_PROTOCOLS = new Set([
  'oauth2-resource-owner', 'oauth2-password', 'oauth2-resource-owner-jwt-bearer',
  'oauth2-refresh-token', 'oauth2-token-exchange', 'oidc-ciba',
]);
const REQUIRED_SECRETS = [
  'PROFILE_SERVICE_URL', 'PROFILE_LOGIN_SECRET', 'AUTH0_DOMAIN',
  'PROFILE_CLIENT_ID', 'PROFILE_CLIENT_SECRET', 'PROFILE_API_AUDIENCE',
];
const LOCALE_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,34}$/;
/** Keys that must never be walked into when applying changes (prototype pollution). */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * @param {Event} event - Details about the user and the context in which they are logging in.
 * @param {PostLoginAPI} api - Interface whose methods can be used to change the behavior of the login.
 */
exports.onExecutePostLogin = async (event, api) => {
  try {
    const why = noRedirectReason(event);
    if (why) {
      log(`no profile step: ${why}`);
      return;
    }
    const cfg = config(event.secrets);
    const verdict = await askService(cfg, event, api, AbortSignal.timeout(SERVICE_TIMEOUT_MS));
    if (!verdict.due) {
      return;
    }
    const sessionToken = api.redirect.encodeToken({
      secret: cfg.secret,
      expiresInSeconds: STEP_TOKEN_SECONDS,
      payload: verdict.claims,
    });
    api.redirect.sendUserTo(cfg.stepUrl, { query: { session_token: sessionToken } });
  } catch (err) {
    log(`profile step skipped, login goes on: ${describe(err)}`);
  }
};

/**
 * @param {Event} event - Details about the user and the context in which they are logging in.
 * @param {PostLoginAPI} api - Interface whose methods can be used to change the behavior of the login.
 */
exports.onContinuePostLogin = async (event, api) => {
  try {
    const secret = (event.secrets || {}).PROFILE_LOGIN_SECRET;
    if (!secret) {
      throw new Error('secret PROFILE_LOGIN_SECRET is missing');
    }
    const payload = api.redirect.validateToken({ secret, tokenParameterName: 'session_token' });
    // The step always names the user; a token naming no one, or someone else, applies nothing.
    if (payload.sub !== event.user.user_id) {
      throw new Error(payload.sub === undefined ? 'the token names no user' : 'the step answered for another user');
    }
    const ops = readChanges(payload.profile_changes);
    const answers = applyChanges(ops, event.user, api);
    const claim = (event.secrets || {}).PROFILE_ID_TOKEN_CLAIM;
    if (claim && Object.keys(answers).length > 0) {
      api.idToken.setCustomClaim(claim, answers);
    }
  } catch (err) {
    log(`profile answers not applied, login goes on: ${describe(err)}`);
  }
};

/** Returns why this transaction cannot show the step, or '' when it can. */
function noRedirectReason(event) {
  const tx = event.transaction || {};
  if (NO_BROWSER_PROTOCOLS.has(tx.protocol)) {
    return `protocol ${tx.protocol} has no browser to redirect`;
  }
  const prompt = Array.isArray(tx.prompt) ? tx.prompt : String(tx.prompt || '').split(' ');
  if (prompt.includes('none')) {
    return 'prompt=none forbids any interaction';
  }
  return '';
}

function config(secrets) {
  const s = secrets || {};
  const missing = REQUIRED_SECRETS.filter((name) => !s[name]);
  if (missing.length > 0) {
    throw new Error(`missing secrets: ${missing.join(', ')}`);
  }
  const serviceUrl = s.PROFILE_SERVICE_URL.replace(/\/+$/, '');
  return {
    serviceUrl,
    stepUrl: s.PROFILE_STEP_URL || `${serviceUrl}/login/profile`,
    secret: s.PROFILE_LOGIN_SECRET,
    tokenUrl: `${tenantUrl(s.AUTH0_DOMAIN)}/oauth/token`,
    clientId: s.PROFILE_CLIENT_ID,
    clientSecret: s.PROFILE_CLIENT_SECRET,
    audience: s.PROFILE_API_AUDIENCE,
  };
}

/** A bare domain means https; a full URL (a local stand-in) is taken as it is. */
function tenantUrl(domain) {
  const d = domain.replace(/\/+$/, '');
  return /^https?:\/\//.test(d) ? d : `https://${d}`;
}

/** Asks the service's GetLoginPrompt (REST) what to ask, with a cached client-credentials token. */
async function askService(cfg, event, api, signal) {
  const body = JSON.stringify({
    context: LOGIN_CONTEXT,
    locale: userLocale(event),
    profile: loginProfile(event),
  });
  let token = cachedToken(api);
  const cached = token !== '';
  if (!cached) {
    token = await fetchServiceToken(cfg, api, signal);
  }
  let res = await postPrompt(cfg, event.user.user_id, token, body, signal);
  if (res.status === 401 && cached) {
    // The cached token was refused (revoked, signing key rotated): get a new one, once.
    api.cache.delete(TOKEN_CACHE_KEY);
    token = await fetchServiceToken(cfg, api, signal);
    res = await postPrompt(cfg, event.user.user_id, token, body, signal);
  }
  if (!res.ok) {
    throw new Error(`the service answered ${res.status}${await errorMessage(res)}`);
  }
  const out = await res.json();
  return { due: out.due === true, claims: out.session_token_claims };
}

function postPrompt(cfg, userId, token, body, signal) {
  return fetch(`${cfg.serviceUrl}/v1/users/${encodeURIComponent(userId)}/login-prompt`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body,
    signal,
  });
}

function cachedToken(api) {
  const record = api.cache.get(TOKEN_CACHE_KEY);
  return record && typeof record.value === 'string' ? record.value : '';
}

/** Gets a client-credentials token from the tenant and caches it until shortly before it expires. */
async function fetchServiceToken(cfg, api, signal) {
  const res = await fetch(cfg.tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credentials',
      client_id: cfg.clientId,
      client_secret: cfg.clientSecret,
      audience: cfg.audience,
    }),
    signal,
  });
  if (!res.ok) {
    throw new Error(`the token endpoint answered ${res.status}${await errorMessage(res)}`);
  }
  const out = await res.json();
  if (typeof out.access_token !== 'string' || out.access_token === '') {
    throw new Error('the token endpoint returned no access_token');
  }
  const seconds = Math.min(Number(out.expires_in) - TOKEN_EXPIRY_MARGIN_SECONDS, CACHE_MAX_SECONDS);
  if (seconds > 0) {
    // A token over the cache's 4 kB value limit is simply not cached (set reports an error).
    api.cache.set(TOKEN_CACHE_KEY, out.access_token, { ttl: seconds * 1000 });
  }
  return out.access_token;
}

/** The short reason an error response gives: a google.rpc.Status message or an OAuth error. */
async function errorMessage(res) {
  try {
    const body = await res.json();
    const msg = body.message || body.error_description || body.error || '';
    return msg ? `: ${String(msg).slice(0, 120)}` : '';
  } catch (_) {
    return '';
  }
}

/** The user's locale: ui_locales from the application, else Auth0's choice, else the browser's. */
function userLocale(event) {
  const tx = event.transaction || {};
  const ui = Array.isArray(tx.ui_locales) ? tx.ui_locales : String(tx.ui_locales || '').split(' ');
  const header = String((event.request || {}).language || '').split(',')[0].split(';')[0];
  for (const candidate of [ui[0], tx.locale, header]) {
    const tag = String(candidate || '').trim();
    if (LOCALE_RE.test(tag)) {
      return tag;
    }
  }
  return '';
}

/** The profile as the service reads it: scalar root attributes, both metadata, the login count. */
function loginProfile(event) {
  const user = event.user || {};
  const attributes = {};
  for (const [key, value] of Object.entries(user)) {
    if (key !== 'user_metadata' && key !== 'app_metadata' &&
        ['string', 'number', 'boolean'].includes(typeof value)) {
      attributes[key] = value;
    }
  }
  const profile = {
    attributes,
    user_metadata: user.user_metadata || {},
    app_metadata: user.app_metadata || {},
  };
  const logins = (event.stats || {}).logins_count;
  if (Number.isInteger(logins) && logins >= 0) {
    profile.logins_count = logins;
  }
  return profile;
}

/** Checks the changes the step signed; any malformed op rejects them all. */
function readChanges(changes) {
  if (!changes || changes.v !== CHANGES_VERSION || !Array.isArray(changes.ops)) {
    throw new Error('the token carries no changes of a known version');
  }
  for (const op of changes.ops) {
    const ok = op && (op.op === 'set' || op.op === 'remove') &&
      (op.in === 'user_metadata' || op.in === 'app_metadata') &&
      Array.isArray(op.path) && op.path.length > 0 &&
      op.path.every((k) => typeof k === 'string' && k !== '' && !FORBIDDEN_KEYS.has(k));
    if (!ok) {
      throw new Error('the token carries a malformed change');
    }
  }
  return changes.ops;
}

/**
 * Applies the ops to the fresh metadata Auth0 holds now (event.user), one first-level key at a
 * time: setUserMetadata / setAppMetadata replace a key whole, so a nested object is rebuilt from
 * its current value, keeping every entry the ops do not touch. An object left empty is removed.
 * Returns the first-level user_metadata values set (the answers), for the ID token claim.
 */
function applyChanges(ops, user, api) {
  const next = { user_metadata: new Map(), app_metadata: new Map() };
  for (const op of ops) {
    const current = next[op.in];
    const [top, ...rest] = op.path;
    if (rest.length === 0) {
      current.set(top, op.op === 'set' ? clone(op.value) : null);
      continue;
    }
    let root = current.has(top) ? current.get(top) : clone((user[op.in] || {})[top]);
    if (!isObject(root)) {
      root = {};
    }
    setPath(root, rest, op);
    current.set(top, Object.keys(root).length === 0 ? null : root);
  }
  const answers = {};
  for (const [key, value] of next.user_metadata) {
    api.user.setUserMetadata(key, value);
    const op = ops.find((o) => o.in === 'user_metadata' && o.path.length === 1 && o.path[0] === key);
    if (op && op.op === 'set') {
      answers[key] = value;
    }
  }
  for (const [key, value] of next.app_metadata) {
    api.user.setAppMetadata(key, value);
  }
  return answers;
}

/** Sets or removes the value at path under obj, creating objects down and pruning empty ones up. */
function setPath(obj, path, op) {
  const [key, ...rest] = path;
  if (rest.length === 0) {
    if (op.op === 'set') {
      obj[key] = clone(op.value);
    } else {
      delete obj[key];
    }
    return;
  }
  if (!isObject(obj[key])) {
    obj[key] = {};
  }
  setPath(obj[key], rest, op);
  if (Object.keys(obj[key]).length === 0) {
    delete obj[key];
  }
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function clone(v) {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
}

function describe(err) {
  if (err && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `the service did not answer within ${SERVICE_TIMEOUT_MS} ms`;
  }
  const cause = err && err.cause && err.cause.code ? ` (${err.cause.code})` : '';
  return `${(err && err.message) || err}${cause}`;
}

/** Logs one line; Auth0 keeps 256 characters of each Action's console output. */
function log(msg) {
  console.log(`progressive-profiling: ${msg}`.slice(0, 250));
}
