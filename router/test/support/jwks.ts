import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';

export const ISSUER = 'http://users.test';
export const AUDIENCE = 'shop';

export interface TokenClaims {
  sub?: string;
  roles?: string[];
  scope?: string;
}

/** A stand-in for the users service's key publishing: one RSA key, served as a JWKS. */
export interface JwksServer {
  url: string;
  kid: string;
  publicKey: KeyObject;
  /** A valid access token (RS256, kid, issuer, audience, 5 minutes); options override. */
  sign(claims?: TokenClaims, options?: jwt.SignOptions): string;
  stop(): Promise<void>;
}

export async function startJwksServer(): Promise<JwksServer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'test-key-1';
  const jwks = {
    keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }],
  };
  const server = http.createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    kid,
    publicKey,
    sign: ({ sub = 'user-1', roles = ['CUSTOMER'], scope = 'shop' } = {}, options = {}) =>
      jwt.sign({ roles, scope }, privateKey, {
        algorithm: 'RS256',
        keyid: kid,
        issuer: ISSUER,
        audience: AUDIENCE,
        subject: sub,
        expiresIn: 300,
        ...options,
      }),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
