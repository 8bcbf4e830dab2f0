import { createHmac } from 'node:crypto';
import { startStack, type Stack } from './support/stack';

const CALLER = { query: 'query Caller { caller { userId roles } }' };

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function claims() {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: 'user-1',
    roles: ['ADMIN'],
    scope: 'shop',
    iss: stack.tokens.issuer,
    aud: stack.tokens.audience,
    iat: now,
    exp: now + 300,
  };
}

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

describe('bearer tokens', () => {
  it('passes a valid token on, and the subgraph sees the same identity', async () => {
    const token = stack.tokens.userToken({ sub: 'user-42', roles: ['CUSTOMER', 'ADMIN'] });
    const { status, body } = await stack.router.post(CALLER, { authorization: `Bearer ${token}` });

    expect(status).toBe(200);
    expect(body).toEqual({ data: { caller: { userId: 'user-42', roles: ['CUSTOMER', 'ADMIN'] } } });
    expect(stack.users.requests.at(-1)?.authorization).toBe(`Bearer ${token}`);
  });

  it('treats a request without a token as anonymous', async () => {
    const { status, body } = await stack.router.post(CALLER);

    expect(status).toBe(200);
    expect(body).toEqual({ data: { caller: { userId: null, roles: [] } } });
    expect(stack.users.requests.at(-1)?.authorization).toBeUndefined();
  });

  const badAuthorizations: Array<[string, () => string]> = [
    [
      'a token signed by another key under the same kid',
      () => `Bearer ${stack.tokens.foreignToken()}`,
    ],
    [
      'an unsigned token (alg none)',
      () =>
        `Bearer ${base64url({ alg: 'none', typ: 'JWT', kid: stack.tokens.kid })}.${base64url(claims())}.`,
    ],
    [
      'an HS256 token whose HMAC secret is the public key',
      () => {
        const signingInput = `${base64url({ alg: 'HS256', typ: 'JWT', kid: stack.tokens.kid })}.${base64url(claims())}`;
        const publicPem = stack.tokens.publicKey.export({ type: 'spki', format: 'pem' });
        const signature = createHmac('sha256', publicPem).update(signingInput).digest('base64url');
        return `Bearer ${signingInput}.${signature}`;
      },
    ],
    ['an expired token', () => `Bearer ${stack.tokens.userToken({}, { expiresIn: -60 })}`],
    [
      'a token for another audience',
      () => `Bearer ${stack.tokens.userToken({}, { audience: 'admin-console' })}`,
    ],
    [
      'a token from another issuer',
      () => `Bearer ${stack.tokens.userToken({}, { issuer: 'https://evil.example' })}`,
    ],
    [
      'a token signed with an unknown kid',
      () => `Bearer ${stack.tokens.userToken({}, { keyid: 'retired-key' })}`,
    ],
    [
      // Client-credentials tokens are for calls between services, never from the internet.
      'a service token (client credentials), valid for the subgraphs',
      () => `Bearer ${stack.tokens.serviceToken('delivery', ['orders:read'])}`,
    ],
    ['a header that is not "Bearer <token>"', () => `Token ${stack.tokens.userToken()}`],
    ['a bearer header without a token', () => 'Bearer'],
    ['a bearer value that is not a JWT', () => 'Bearer not-a-jwt'],
  ];

  it.each(badAuthorizations)(
    'refuses %s with 401 UNAUTHENTICATED before calling a subgraph',
    async (_, authorization) => {
      const callsBefore = stack.users.requests.length;
      const { status, body } = await stack.router.post(CALLER, { authorization: authorization() });

      expect(status).toBe(401);
      expect(body.data).toBeUndefined();
      expect(body.errors).toEqual([
        { message: expect.any(String), extensions: { code: 'UNAUTHENTICATED' } },
      ]);
      expect(stack.users.requests.length).toBe(callsBefore);
    },
  );

  it('refuses a token it cannot check (JWKS unreachable) with 503 SERVICE_UNAVAILABLE, never as anonymous', async () => {
    // Port 9 (discard): nothing answers, as when the users service is down.
    const router = await stack.startRouter({
      JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json',
    });
    const callsBefore = stack.users.requests.length;
    const { status, body } = await router.post(CALLER, {
      authorization: `Bearer ${stack.tokens.userToken()}`,
      'x-request-id': 'req-jwks-down',
    });

    expect(status).toBe(503);
    expect(body.errors).toEqual([
      {
        message: expect.stringMatching(/cannot be verified right now/),
        extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true },
      },
    ]);
    expect(stack.users.requests.length).toBe(callsBefore);
    // The request with its id, and why the keys could not be fetched.
    expect(router.logs).toContainEqual(
      expect.objectContaining({
        level: 50,
        requestId: 'req-jwks-down',
        msg: 'could not verify the access token',
      }),
    );
    expect(router.logs).toContainEqual(
      expect.objectContaining({
        level: 50,
        msg: 'could not fetch the JWKS',
        err: expect.objectContaining({ message: expect.any(String) }),
      }),
    );
  });
});
