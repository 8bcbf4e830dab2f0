import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { localKeys, TokenVerifier } from '../src';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const sign = (subject: string, expiresIn: number) =>
  jwt.sign({ roles: ['CUSTOMER'], scope: 'shop' }, privateKey, {
    algorithm: 'RS256',
    keyid: 'k1',
    issuer: 'https://users.test',
    audience: 'shop',
    subject,
    expiresIn,
  });

/** A verifier whose key look-ups are counted: one per token actually checked. */
function counting(options: { cacheMs?: number; cacheSize?: number } = {}) {
  let lookups = 0;
  const keys = localKeys(() => new Map([['k1', publicKey]]));
  const verifier = new TokenVerifier({
    issuer: 'https://users.test',
    audience: 'shop',
    keys: (kid) => {
      lookups += 1;
      return keys(kid);
    },
    ...options,
  });
  return { verifier, lookups: () => lookups };
}

afterEach(() => jest.useRealTimers());

describe('TokenVerifier remembers tokens it verified', () => {
  it('checks a token once, then trusts the same token string', async () => {
    const { verifier, lookups } = counting();
    const token = sign('user-1', 600);
    for (let i = 0; i < 5; i++) {
      await expect(verifier.verify(token)).resolves.toMatchObject({ userId: 'user-1' });
    }
    expect(lookups()).toBe(1);
  });

  it('never trusts a token past its exp, cached or not', async () => {
    jest.useFakeTimers({ now: Date.now() });
    const { verifier } = counting({ cacheMs: 600_000 });
    const token = sign('user-2', 2);
    await expect(verifier.verify(token)).resolves.toMatchObject({ userId: 'user-2' });
    jest.setSystemTime(Date.now() + 3000);
    await expect(verifier.verify(token)).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('checks again after the cache time, and never remembers a failure', async () => {
    jest.useFakeTimers({ now: Date.now() });
    const { verifier, lookups } = counting({ cacheMs: 1000 });
    const token = sign('user-3', 600);
    await verifier.verify(token);
    jest.setSystemTime(Date.now() + 1500);
    await verifier.verify(token);
    expect(lookups()).toBe(2);

    const tampered = `${token.slice(0, -4)}AAAA`;
    for (let i = 0; i < 2; i++) {
      await expect(verifier.verify(tampered)).rejects.toMatchObject({
        extensions: { code: 'UNAUTHENTICATED' },
      });
    }
    expect(lookups()).toBe(4);
  });

  it('stays within its size, forgetting the oldest first', async () => {
    const { verifier, lookups } = counting({ cacheSize: 2 });
    const [a, b, c] = ['a', 'b', 'c'].map((s) => sign(s, 600)) as [string, string, string];
    await verifier.verify(a);
    await verifier.verify(b);
    await verifier.verify(c); // a goes
    await verifier.verify(c);
    await verifier.verify(b);
    expect(lookups()).toBe(3);
    await verifier.verify(a);
    expect(lookups()).toBe(4);
  });

  it('can be turned off', async () => {
    const { verifier, lookups } = counting({ cacheMs: 0 });
    const token = sign('user-4', 600);
    await verifier.verify(token);
    await verifier.verify(token);
    expect(lookups()).toBe(2);
  });
});
