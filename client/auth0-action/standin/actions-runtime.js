'use strict';
// A double of Auth0's post-login Actions runtime, written from Auth0's documentation ("Actions
// Triggers: post-login - Event Object" and "- API Object", "Redirect with Actions", "Actions
// Limitations"), not from the Action it runs. Test code and local demo only.
//
// What it follows:
// - api.redirect.encodeToken({secret, payload, expiresInSeconds}) returns an HS256 JWT with the
//   payload's claims plus iss (the tenant's host name), sub (the user id), iat, exp (900 s by
//   default) and ip.
// - api.redirect.sendUserTo(url, {query}) makes Auth0 redirect after the Action, adding the
//   query and a state parameter.
// - api.redirect.validateToken({secret, tokenParameterName}) reads the token from the /continue
//   request, checks its signature, its expiry and that its state claim is the /continue state,
//   and returns its payload; it throws otherwise.
// - api.user.setUserMetadata / setAppMetadata set a first-level key (null deletes it), applied
//   when the flow ends.
// - api.cache: get(key) returns {value, expires_at} or undefined; set(key, value, {ttl |
//   expires_at}) stores a string for at most 24 h and returns {type: 'success', record} or
//   {type: 'error', code}; limits: 20 entries, keys of 64 bytes, values of 4 kB, 8 kB in all.

const { signHS256, verifyHS256 } = require('./jwt');

const CACHE_MAX_MS = 24 * 3600 * 1000;
const CACHE_MAX_ENTRIES = 20;
const CACHE_MAX_KEY = 64;
const CACHE_MAX_VALUE = 4096;
const CACHE_MAX_TOTAL = 8192;
const ENCODE_DEFAULT_SECONDS = 900;

/** The cache of one trigger, surviving between executions. */
function createCache(now = Date.now) {
  const entries = new Map();
  const live = () => {
    for (const [k, r] of entries) {
      if (r.expires_at <= now()) {
        entries.delete(k);
      }
    }
  };
  return {
    get(key) {
      live();
      const r = entries.get(key);
      return r ? { value: r.value, expires_at: r.expires_at } : undefined;
    },
    set(key, value, options = {}) {
      live();
      if (typeof value !== 'string') {
        return { type: 'error', code: 'INVALID_VALUE' };
      }
      if (Buffer.byteLength(key) > CACHE_MAX_KEY || Buffer.byteLength(value) > CACHE_MAX_VALUE) {
        return { type: 'error', code: 'SIZE_LIMIT' };
      }
      let total = Buffer.byteLength(key) + Buffer.byteLength(value);
      for (const [k, r] of entries) {
        if (k !== key) {
          total += Buffer.byteLength(k) + Buffer.byteLength(r.value);
        }
      }
      if (total > CACHE_MAX_TOTAL || (!entries.has(key) && entries.size >= CACHE_MAX_ENTRIES)) {
        return { type: 'error', code: 'CAPACITY' };
      }
      let expires = now() + CACHE_MAX_MS;
      if (options.ttl !== undefined) {
        expires = Math.min(expires, now() + options.ttl);
      }
      if (options.expires_at !== undefined) {
        expires = Math.min(expires, options.expires_at);
      }
      const record = { value, expires_at: expires };
      entries.set(key, record);
      return { type: 'success', record: { ...record } };
    },
    delete(key) {
      return entries.delete(key) ? { type: 'success' } : { type: 'error', code: 'NOT_FOUND' };
    },
    size() {
      live();
      return entries.size;
    },
  };
}

/**
 * Builds the api object of one execution. tenantHost is the tenant's host name (iss of encoded
 * tokens); continueRequest, for onContinuePostLogin, holds the parameters posted to /continue
 * (state and the token). The returned outcome records what the Action asked for.
 */
function createApi({ event, cache, tenantHost, continueRequest = {}, now = Date.now }) {
  const outcome = {
    redirect: null, userMetadata: new Map(), appMetadata: new Map(),
    idTokenClaims: {}, accessTokenClaims: {}, denied: null,
  };
  const api = {
    access: { deny(reason) { outcome.denied = reason; return api; } },
    accessToken: { setCustomClaim(k, v) { outcome.accessTokenClaims[k] = v; return api; } },
    idToken: { setCustomClaim(k, v) { outcome.idTokenClaims[k] = v; return api; } },
    cache,
    redirect: {
      encodeToken({ secret, payload = {}, expiresInSeconds = ENCODE_DEFAULT_SECONDS }) {
        const iat = Math.floor(now() / 1000);
        return signHS256({
          ...payload, iss: tenantHost, sub: event.user.user_id, iat, exp: iat + expiresInSeconds,
          ip: (event.request || {}).ip,
        }, secret);
      },
      sendUserTo(url, options = {}) {
        outcome.redirect = { url, query: { ...(options.query || {}) } };
        return api;
      },
      validateToken({ secret, tokenParameterName = 'session_token' }) {
        const claims = verifyHS256(continueRequest[tokenParameterName], secret);
        if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now()) {
          throw new Error('The session token is expired');
        }
        if (!claims.state || claims.state !== continueRequest.state) {
          throw new Error('The session token is invalid: State in the token does not match the /continue state.');
        }
        return claims;
      },
    },
    user: {
      setUserMetadata(key, value) { outcome.userMetadata.set(key, value); return api; },
      setAppMetadata(key, value) { outcome.appMetadata.set(key, value); return api; },
    },
  };
  return { api, outcome };
}

/** Returns the user once the flow ends: the metadata keys set, first level, null deleting. */
function applyOutcome(user, outcome) {
  const out = JSON.parse(JSON.stringify(user));
  for (const [field, changes] of [['user_metadata', outcome.userMetadata], ['app_metadata', outcome.appMetadata]]) {
    const meta = out[field] || {};
    for (const [k, v] of changes) {
      if (v === null || v === undefined) {
        delete meta[k];
      } else {
        meta[k] = JSON.parse(JSON.stringify(v));
      }
    }
    out[field] = meta;
  }
  return out;
}

module.exports = { createCache, createApi, applyOutcome };
