import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { Role, Scope } from '@shop/auth';

/**
 * A stand-in for the users service's token issuing, for this subgraph's own tests: an RSA
 * key, its JWKS served over HTTP on an ephemeral port, and RS256 tokens with the shop's
 * claims (packages/auth/src/identity.ts). e2e tests use the real users service instead.
 */
export interface TokenIssuer {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** A signed-in user's token; `roles` default to CUSTOMER. */
  userToken(options?: { sub?: string; roles?: string[] }): string;
  adminToken(): string;
  /** A client-credentials service token: `client_id` = `sub`, no roles. */
  serviceToken(clientId: string, scopes: string[]): string;
  /** A token signed by a key that the JWKS does not publish under this kid. */
  foreignToken(): string;
  stop(): Promise<void>;
}

function sign(key: KeyObject, kid: string, claims: object, issuer: string, audience: string) {
  return jwt.sign(claims, key, {
    algorithm: 'RS256',
    keyid: kid,
    issuer,
    audience,
    expiresIn: 600,
  });
}

export async function startTokenIssuer(
  issuer = 'http://users.test',
  audience = 'shop',
): Promise<TokenIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `test-${randomUUID().slice(0, 8)}`;
  const jwks = JSON.stringify({
    keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }],
  });
  const server = http.createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

  const userToken = ({ sub = randomUUID(), roles = [Role.CUSTOMER] as string[] } = {}) =>
    sign(privateKey, kid, { sub, roles, scope: Scope.SHOP }, issuer, audience);
  return {
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    issuer,
    audience,
    userToken,
    adminToken: () => userToken({ roles: [Role.ADMIN] }),
    serviceToken: (clientId, scopes) =>
      sign(
        privateKey,
        kid,
        { sub: clientId, client_id: clientId, roles: [], scope: scopes.join(' ') },
        issuer,
        audience,
      ),
    foreignToken: () =>
      sign(
        stranger,
        kid,
        { sub: randomUUID(), roles: [Role.ADMIN], scope: Scope.SHOP },
        issuer,
        audience,
      ),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
