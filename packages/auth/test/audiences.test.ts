import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { localKeys, TokenVerifier } from '../src';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keys = localKeys(() => new Map([['k1', publicKey]]));
const token = (aud: string, claims: object = { roles: ['CUSTOMER'], scope: 'shop' }) =>
  jwt.sign(claims, privateKey, {
    algorithm: 'RS256',
    keyid: 'k1',
    issuer: 'https://users.test',
    audience: aud,
    subject: 'user-1',
    expiresIn: 60,
  });
const verifier = (audience: string | string[]) =>
  new TokenVerifier({ issuer: 'https://users.test', audience, keys });

describe('TokenVerifier audiences', () => {
  it('accepts a token carrying any of the listed audiences (a subgraph: users and services)', async () => {
    const subgraph = verifier(['shop', 'shop-services']);
    await expect(subgraph.verify(token('shop'))).resolves.toMatchObject({ kind: 'user' });
    const service = token('shop-services', { client_id: 'user-1', roles: [], scope: 'x' });
    await expect(subgraph.verify(service)).resolves.toMatchObject({ kind: 'service' });
    await expect(subgraph.verify(token('another-shop'))).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('with one audience refuses the other (the router: no service tokens)', async () => {
    await expect(verifier('shop').verify(token('shop-services'))).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('refuses to be built with no audience at all', () => {
    expect(() => verifier([])).toThrow('TokenVerifier needs at least one audience');
  });
});
