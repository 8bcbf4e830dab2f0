import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { remoteJwks } from '../src';

describe('remoteJwks', () => {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwks = JSON.stringify({
    keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'real', alg: 'RS256', use: 'sig' }],
  });
  let fetches = 0;
  let up = true;
  let url: string;
  const server = http.createServer((_req, res) => {
    fetches += 1;
    if (up) res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    else res.writeHead(503).end();
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => {
    fetches = 0;
    up = true;
  });

  it('keeps finding the real key while forged kids flood in, fetching once per cooldown', async () => {
    const keys = remoteJwks(url, { refetchCooldownMs: 60_000 });
    for (let i = 0; i < 200; i++) {
      await expect(keys(`forged-${i}`)).resolves.toBeUndefined();
    }
    await expect(keys('real')).resolves.toBeDefined();
    expect(fetches).toBe(1);
  });

  it('refetches for an unknown kid once the cooldown has passed (key rotation)', async () => {
    const keys = remoteJwks(url, { refetchCooldownMs: 0 });
    await keys('real');
    await keys('new-key');
    expect(fetches).toBe(2);
  });

  it('keeps the last good key set when the endpoint goes down', async () => {
    const keys = remoteJwks(url, { refetchCooldownMs: 0, maxAgeMs: 0 });
    await expect(keys('real')).resolves.toBeDefined();
    up = false;
    await expect(keys('real')).resolves.toBeDefined();
    expect(fetches).toBe(2);
  });

  it('fails as SERVICE_UNAVAILABLE when it has never had a key set, telling onError why', async () => {
    up = false;
    const causes: unknown[] = [];
    await expect(
      remoteJwks(url, { onError: (error) => causes.push(error) })('real'),
    ).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    expect(String(causes[0])).toMatch(/HTTP 503/);
  });
});
