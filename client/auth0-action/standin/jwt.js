'use strict';
// Minimal JWT signing and checking with node:crypto, for the test doubles of Auth0 (HS256 session
// tokens of the redirect flow, RS256 access tokens with a JWKS). Test code only.

const crypto = require('node:crypto');

const b64 = (buf) => Buffer.from(buf).toString('base64url');
const json64 = (obj) => b64(JSON.stringify(obj));

/** Signs claims as an HS256 JWT with secret. */
function signHS256(claims, secret) {
  const head = json64({ alg: 'HS256', typ: 'JWT' });
  const body = json64(claims);
  const sig = crypto.createHmac('sha256', secret).update(`${head}.${body}`).digest();
  return `${head}.${body}.${b64(sig)}`;
}

/** Returns the claims of an HS256 JWT signed with secret, or throws saying what is wrong. */
function verifyHS256(token, secret) {
  const parts = String(token || '').split('.');
  if (parts.length !== 3) {
    throw new Error('malformed token');
  }
  let header;
  let claims;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString());
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
  } catch (_) {
    throw new Error('malformed token');
  }
  if (header.alg !== 'HS256') {
    throw new Error(`algorithm ${header.alg} is not HS256`);
  }
  const want = crypto.createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
  const got = Buffer.from(parts[2], 'base64url');
  if (got.length !== want.length || !crypto.timingSafeEqual(got, want)) {
    throw new Error('invalid signature');
  }
  return claims;
}

/** An RSA key pair that signs RS256 access tokens and publishes its public half as a JWKS. */
function rsaSigner() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = crypto.randomBytes(8).toString('hex');
  return {
    kid,
    sign(claims) {
      const head = json64({ alg: 'RS256', typ: 'JWT', kid });
      const body = json64(claims);
      const sig = crypto.createSign('RSA-SHA256').update(`${head}.${body}`).sign(privateKey);
      return `${head}.${body}.${b64(sig)}`;
    },
    jwks() {
      return { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] };
    },
  };
}

module.exports = { signHS256, verifyHS256, rsaSigner };
