import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { localKeys, TokenVerifier } from '@shop/auth';
import {
  AccessTokenSigner,
  hashRefreshToken,
  KeySet,
  newRefreshToken,
  splitPems,
} from '../src/domain/tokens';
import { loadUsersConfig } from '../src/config';

const pem = () =>
  generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  }) as string;
const settings = {
  issuer: 'https://users.shop.test',
  audience: 'shop',
  serviceAudience: 'shop-services',
  accessTokenTtlSeconds: 900,
};

describe('access tokens', () => {
  const keys = KeySet.fromPems([pem()]);
  const signer = new AccessTokenSigner(keys, settings);
  // As a subgraph verifies: user and service tokens both.
  const verifier = new TokenVerifier({
    issuer: settings.issuer,
    audience: ['shop', 'shop-services'],
    keys: localKeys(() => keys.publicKeys),
  });
  // As the public router verifies: user tokens only.
  const userTokensOnly = new TokenVerifier({
    issuer: settings.issuer,
    audience: 'shop',
    keys: localKeys(() => keys.publicKeys),
  });

  it('carries sub, roles, scope, iss, aud, a 15-minute exp and the kid', () => {
    const token = signer.forUser('user-1', ['CUSTOMER']);
    const { header, payload } = jwt.decode(token, { complete: true }) as jwt.Jwt & {
      payload: jwt.JwtPayload;
    };
    expect(header).toMatchObject({ alg: 'RS256', kid: keys.signing.kid, typ: 'at+jwt' });
    expect(payload).toMatchObject({
      sub: 'user-1',
      roles: ['CUSTOMER'],
      scope: 'shop',
      iss: settings.issuer,
      aud: 'shop',
    });
    expect(payload.exp! - payload.iat!).toBe(900);
  });

  it('verifies into a user identity', async () => {
    await expect(verifier.verify(signer.forUser('user-1', ['ADMIN']))).resolves.toEqual({
      kind: 'user',
      userId: 'user-1',
      roles: ['ADMIN'],
      scopes: ['shop'],
    });
  });

  it('marks client-credentials tokens as service identities with their scopes', async () => {
    await expect(verifier.verify(signer.forService('worker', ['users:read']))).resolves.toEqual({
      kind: 'service',
      clientId: 'worker',
      roles: [],
      scopes: ['users:read'],
    });
  });

  it('gives service tokens their own audience, which a verifier of user tokens refuses', async () => {
    const service = signer.forService('worker', ['orders:read']);
    expect(jwt.decode(service)).toMatchObject({ aud: 'shop-services', client_id: 'worker' });
    await expect(userTokensOnly.verify(service)).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
    });
    await expect(userTokensOnly.verify(signer.forUser('user-1', ['ADMIN']))).resolves.toMatchObject(
      { kind: 'user', userId: 'user-1' },
    );
  });

  it('publishes every key in the JWKS and keeps verifying tokens of a retired key', async () => {
    const oldPem = pem();
    const before = new AccessTokenSigner(KeySet.fromPems([oldPem]), settings);
    const tokenFromOldKey = before.forUser('user-2', ['CUSTOMER']);

    const rotated = KeySet.fromPems([pem(), oldPem]);
    expect(rotated.jwks().keys.map((k) => k.kid)).toEqual(rotated.keys.map((k) => k.kid));
    expect(rotated.jwks().keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(JSON.stringify(rotated.jwks())).not.toMatch(/"d":/); // no private parts

    const rotatedVerifier = new TokenVerifier({
      issuer: settings.issuer,
      audience: settings.audience,
      keys: localKeys(() => rotated.publicKeys),
    });
    await expect(rotatedVerifier.verify(tokenFromOldKey)).resolves.toMatchObject({
      userId: 'user-2',
    });
    const fresh = new AccessTokenSigner(rotated, settings).forUser('user-3', []);
    expect((jwt.decode(fresh, { complete: true }) as jwt.Jwt).header.kid).toBe(
      rotated.keys[0]!.kid,
    );
  });

  it('reads several PEM keys from one config value', () => {
    expect(splitPems(`${pem()}\n\n${pem()}`)).toHaveLength(2);
    expect(splitPems('not a key')).toHaveLength(0);
  });
});

describe('refresh tokens', () => {
  it('are 256-bit random strings stored only as a hash', () => {
    const token = newRefreshToken();
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(newRefreshToken()).not.toBe(token);
    expect(hashRefreshToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashRefreshToken(token)).not.toContain(token);
  });
});

describe('token audiences in the configuration', () => {
  it('default to distinct user and service audiences', () => {
    const config = loadUsersConfig({});
    expect(config.JWT_AUDIENCE).toBe('shop');
    expect(config.SERVICE_TOKEN_AUDIENCE).toBe('shop-services');
  });

  it('refuse a service audience equal to the user audience', () => {
    expect(() =>
      loadUsersConfig({
        JWT_AUDIENCE: 'api.shop.example',
        SERVICE_TOKEN_AUDIENCE: 'api.shop.example',
      }),
    ).toThrow(/SERVICE_TOKEN_AUDIENCE=\S+ is invalid: must differ from JWT_AUDIENCE/);
  });
});
