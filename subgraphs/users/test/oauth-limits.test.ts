import { fixtureForFile } from '@shop/test-harness';
import { startUsersFixture } from './support/users-service';

// Two clients, so one being slowed down can be told apart from the other.
const WORKER = { id: 'worker', secret: 'worker-secret-0123456789' };
const MAILER = { id: 'mailer', secret: 'mailer-secret-0123456789' };
const PRINTER = { id: 'printer', secret: 'printer-secret-0123456789' };

const users = fixtureForFile(() =>
  startUsersFixture({
    OAUTH_CLIENTS: [WORKER, MAILER, PRINTER].map((c) => `${c.id}:${c.secret}:users:read`).join(','),
    OAUTH_MAX_FAILURES_PER_CLIENT: '3',
    OAUTH_MAX_FAILURES_PER_IP: '5',
    OAUTH_FAILURE_WINDOW_SECONDS: '600',
  }),
);

let ipCounter = 0;
/** A fresh client address (the service trusts X-Forwarded-For from loopback proxies). */
const freshIp = () => `198.51.100.${++ipCounter}`;

async function requestToken(client: { id: string; secret: string }, ip: string) {
  const res = await fetch(`http://127.0.0.1:${users.service.port}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
      'x-forwarded-for': ip,
    },
    body: 'grant_type=client_credentials',
  });
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: (await res.json()) as { error?: string; error_description?: string },
  };
}
const wrong = (client: { id: string }) => ({ id: client.id, secret: 'not-the-secret-000000' });

describe('/oauth/token after repeated wrong client secrets', () => {
  it('slows down the client id, from any address, even for its right secret', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await requestToken(wrong(WORKER), freshIp())).status).toBe(401);
    }
    const limited = await requestToken(WORKER, freshIp());
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({
      error: 'slow_down',
      error_description: expect.stringMatching(/^Too many failed client authentications/),
    });
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    expect(Number(limited.retryAfter)).toBeLessThanOrEqual(600);

    // Another client is not affected.
    expect((await requestToken(MAILER, freshIp())).status).toBe(200);
  });

  it('slows down one address guessing across many client ids', async () => {
    const ip = freshIp();
    for (let i = 0; i < 5; i++) {
      expect(
        (await requestToken({ id: `guess-${i}`, secret: 'guess-secret-0000' }, ip)).status,
      ).toBe(401);
    }
    const limited = await requestToken(MAILER, ip);
    expect(limited.status).toBe(429);
    expect(limited.body.error).toBe('slow_down');
    expect((await requestToken(MAILER, freshIp())).status).toBe(200);
  });

  it("charges a blocked address's attempts to no client", async () => {
    const blocked = freshIp();
    for (let i = 0; i < 5; i++) await requestToken({ id: `probe-${i}`, secret: 'x' }, blocked);
    for (let i = 0; i < 5; i++) {
      expect((await requestToken(wrong(PRINTER), blocked)).status).toBe(429);
    }
    // The printer's budget is untouched: two slips from elsewhere, then its secret works.
    expect((await requestToken(wrong(PRINTER), freshIp())).status).toBe(401);
    expect((await requestToken(wrong(PRINTER), freshIp())).status).toBe(401);
    expect((await requestToken(PRINTER, freshIp())).status).toBe(200);
  });

  it('lets no more concurrent guesses through than the budget', async () => {
    const guesser = { id: 'batch-client', secret: 'x' };
    const results = await Promise.all(
      Array.from({ length: 10 }, () => requestToken(guesser, freshIp())),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
  });

  it('counts failures only: a service renewing its token often is never slowed down', async () => {
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      // Two slips along the way (a rotated secret not yet everywhere) stay under the limits.
      const client = i === 3 || i === 7 ? wrong(MAILER) : MAILER;
      statuses.push((await requestToken(client, ip)).status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 401)).toHaveLength(2);
  });
});
