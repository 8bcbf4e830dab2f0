import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { Role, Scope } from '@shop/auth';

/**
 * A stand-in for the users service's token issuing, for tests that run without it: an RSA
 * key, its JWKS served over HTTP on an ephemeral port, and RS256 tokens with the shop's
 * claims (packages/auth/src/identity.ts). e2e tests use the real users service instead.
 */
export interface TokenIssuer {
  jwksUrl: string;
  issuer: string;
  /** `aud` of user tokens (JWT_AUDIENCE). */
  audience: string;
  /** `aud` of service tokens (SERVICE_TOKEN_AUDIENCE): subgraphs accept it, the router not. */
  serviceAudience: string;
  /** The kid the JWKS publishes the key under. */
  kid: string;
  /** The published key, for crafting tokens a verifier must refuse (e.g. HS256 with it). */
  publicKey: KeyObject;
  /**
   * A signed-in user's token; `roles` default to CUSTOMER. `overrides` replace the signing
   * defaults (RS256, kid, issuer, audience, 10 minutes) to make expired, mis-addressed or
   * unknown-kid tokens.
   */
  userToken(claims?: { sub?: string; roles?: string[] }, overrides?: jwt.SignOptions): string;
  adminToken(): string;
  /**
   * A client-credentials service token: `client_id` = `sub`, no roles, the service audience
   * (as the users service issues them). `overrides` as for userToken.
   */
  serviceToken(clientId: string, scopes: string[], overrides?: jwt.SignOptions): string;
  /** An ADMIN token signed by a key that the JWKS does not publish under this kid. */
  foreignToken(): string;
  stop(): Promise<void>;
}

// The defaults of JWT_AUDIENCE and SERVICE_TOKEN_AUDIENCE (@shop/config), so a service
// configured with neither accepts these tokens.
export async function startTokenIssuer({
  issuer = 'http://users.test',
  audience = 'shop',
  serviceAudience = 'shop-services',
}: { issuer?: string; audience?: string; serviceAudience?: string } = {}): Promise<TokenIssuer> {
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

  const sign = (key: KeyObject, claims: object, overrides: jwt.SignOptions = {}) =>
    jwt.sign(claims, key, {
      algorithm: 'RS256',
      keyid: kid,
      issuer,
      audience,
      expiresIn: 600,
      ...overrides,
    });
  const userToken: TokenIssuer['userToken'] = (
    { sub = randomUUID(), roles = [Role.CUSTOMER] } = {},
    overrides,
  ) => sign(privateKey, { sub, roles, scope: Scope.SHOP }, overrides);

  return {
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    issuer,
    audience,
    serviceAudience,
    kid,
    publicKey,
    userToken,
    adminToken: () => userToken({ roles: [Role.ADMIN] }),
    serviceToken: (clientId, scopes, overrides) =>
      sign(
        privateKey,
        { sub: clientId, client_id: clientId, roles: [], scope: scopes.join(' ') },
        { audience: serviceAudience, ...overrides },
      ),
    foreignToken: () =>
      sign(stranger, { sub: randomUUID(), roles: [Role.ADMIN], scope: Scope.SHOP }),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Verifiers keep their JWKS connection alive; close() alone would wait for it.
        server.closeAllConnections();
      }),
  };
}
