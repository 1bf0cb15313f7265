// A real, local OpenID Connect provider for hafla-server's OIDC tests.
//
// Usage: node server.mjs [PORT] [--alg RS256|ES256|EdDSA]
//
// Listens on 127.0.0.1 (PORT 0 or omitted: any free port), prints exactly one
// line `OIDC_ISSUER=http://127.0.0.1:PORT` on stdout, then serves discovery,
// JWKS, /authorize (redirects straight back with a code) and /token (signed
// id_tokens) until SIGINT/SIGTERM, or until its stdin closes when stdin is a
// pipe (so a test that dies never leaves it running).
//
// What oauth2-mock-server does by itself: it copies the `nonce` of
// /authorize into the id_token of the matching code, and checks a
// `code_verifier` against the S256/plain challenge given to /authorize
// (a mismatch is answered 400 `invalid_request`). What it does not do, and
// this script adds in `beforeResponse`: codes are single-use and bound to the
// client_id and redirect_uri they were issued for, and a code issued with a
// challenge is refused when the token request carries no `code_verifier`
// (all answered 400 `invalid_grant`, as RFC 6749 and RFC 7636 say).

import { OAuth2Server } from 'oauth2-mock-server';
import { fstatSync } from 'node:fs';

const SUPPORTED_ALGS = ['RS256', 'ES256', 'EdDSA'];

/** The person every token describes; the Rust tests assert these values. */
const USER = {
  sub: 'layla-0001',
  email: 'layla@example.jo',
  email_verified: true,
  name: 'ليلى',
};

function parseArgs(argv) {
  let port = 0;
  let alg = 'RS256';
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--alg') {
      alg = argv[i + 1];
      i += 1;
    } else if (/^\d+$/.test(arg)) {
      port = Number(arg);
    } else {
      throw new Error(`unknown argument ${JSON.stringify(arg)}; usage: server.mjs [PORT] [--alg ${SUPPORTED_ALGS.join('|')}]`);
    }
  }
  if (!SUPPORTED_ALGS.includes(alg)) {
    throw new Error(`--alg must be one of ${SUPPORTED_ALGS.join(', ')}`);
  }
  if (port > 65535) {
    throw new Error('port must be at most 65535');
  }
  return { port, alg };
}

/** The client_id of a token request: HTTP Basic user name, else the form field. */
function clientIdOf(req) {
  const header = req.headers.authorization ?? '';
  const match = /^Basic\s+(.+)$/i.exec(header);
  if (match) {
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon === -1 ? decoded : decoded.slice(0, colon);
    // RFC 6749 §2.3.1: the client_id is form-urlencoded before Basic encoding.
    return decodeURIComponent(user.replace(/\+/g, ' '));
  }
  return req.body?.client_id;
}

function refuse(response, description) {
  response.statusCode = 400;
  response.body = { error: 'invalid_grant', error_description: description };
}

async function main() {
  const { port, alg } = parseArgs(process.argv.slice(2));

  const server = new OAuth2Server();
  await server.issuer.keys.generate(alg);
  await server.start(port, '127.0.0.1');
  // The mock names itself http://localhost:PORT on loopback; the tests
  // configure http://127.0.0.1:PORT and the issuer must match exactly.
  server.issuer.url = `http://127.0.0.1:${server.address().port}`;

  const service = server.service;
  /** code -> what /authorize was asked for, to hold /token to it. */
  const issued = new Map();

  service.on('beforeAuthorizeRedirect', (redirect, req) => {
    const code = redirect.url.searchParams.get('code');
    if (code) {
      issued.set(code, {
        clientId: req.query.client_id,
        redirectUri: req.query.redirect_uri,
        withPkce: typeof req.query.code_challenge === 'string',
      });
    }
  });

  service.on('beforeTokenSigning', (token) => {
    Object.assign(token.payload, USER);
  });

  service.on('beforeResponse', (response, req) => {
    const body = req.body ?? {};
    if (body.grant_type !== 'authorization_code') {
      return;
    }
    const grant = issued.get(body.code);
    issued.delete(body.code);
    if (grant === undefined) {
      refuse(response, 'unknown or already used code');
    } else if (clientIdOf(req) !== grant.clientId) {
      refuse(response, 'code was issued to another client');
    } else if (body.redirect_uri !== grant.redirectUri) {
      refuse(response, 'redirect_uri differs from the authorization request');
    } else if (grant.withPkce && typeof body.code_verifier !== 'string') {
      refuse(response, 'code_verifier required');
    }
  });

  const stop = async () => {
    try {
      await server.stop();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (fstatSync(0).isFIFO()) {
    process.stdin.on('end', stop);
    process.stdin.on('error', stop);
    process.stdin.resume();
  }

  process.stdout.write(`OIDC_ISSUER=${server.issuer.url}\n`);
}

main().catch((error) => {
  process.stderr.write(`oidc-mock: ${error?.stack ?? error}\n`);
  process.exit(1);
});
