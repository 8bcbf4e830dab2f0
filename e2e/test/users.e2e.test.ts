// The users feature as a storefront uses it: every operation through the router.
import { createPrivateKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { errorCodes, fixtureForFile, graphql } from '@shop/test-harness';
import { ADMIN, LOGIN, ME, newCustomer, REFRESH, REGISTER, SET_ROLES } from '@shop/users/testing';
import { startPlatform } from '../src/platform';

const platform = fixtureForFile(() => startPlatform());

const call = (query: string, variables: Record<string, unknown> = {}, token?: string) =>
  graphql<Record<string, any>>(platform.url, query, variables, { token });

describe('sign-up and sign-in through the router', () => {
  it('register → login → me', async () => {
    const input = newCustomer();
    const registered = await call(REGISTER, { input });
    expect(registered.errors).toBeUndefined();

    const login = await call(LOGIN, { email: input.email, password: input.password });
    const { accessToken, user } = login.data!.login;
    expect(user).toMatchObject({ email: input.email, roles: ['CUSTOMER'] });

    const me = await call(ME, {}, accessToken);
    expect(me.data!.me).toMatchObject({
      id: user.id,
      email: input.email,
      name: input.name,
      addresses: [],
    });
  });

  it('reports a successful register as such when a nested field is refused', async () => {
    // Anonymous: the new account's orders are not the caller's to read (no token yet).
    const input = newCustomer();
    const res = await call(
      `mutation ($input: RegisterInput!) {
        register(input: $input) { accessToken user { email orders { totalCount } } }
      }`,
      { input },
    );
    expect(res.status).toBe(200);
    expect(res.data!.register.accessToken).toEqual(expect.any(String));
    expect(res.data!.register.user).toEqual({ email: input.email.toLowerCase(), orders: null });
    expect(res.errors).toEqual([
      expect.objectContaining({
        path: ['register', 'user', 'orders'],
        extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }),
      }),
    ]);
    // With the token the response carried, the same field answers.
    const mine = await call('{ me { orders { totalCount } } }', {}, res.data!.register.accessToken);
    expect(mine.data!.me.orders).toEqual({ totalCount: 0 });
  });

  it('refuses a second account with the same e-mail', async () => {
    const input = newCustomer();
    await call(REGISTER, { input });
    expect(
      errorCodes(await call(REGISTER, { input: { ...input, email: input.email.toUpperCase() } })),
    ).toEqual(['CONFLICT']);
  });

  it('rotates refresh tokens and revokes the family when a spent one comes back', async () => {
    const first = (await call(REGISTER, { input: newCustomer() })).data!.register;
    const second = (await call(REFRESH, { refreshToken: first.refreshToken })).data!.refreshToken;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(errorCodes(await call(REFRESH, { refreshToken: first.refreshToken }))).toEqual([
      'UNAUTHENTICATED',
    ]);
    expect(errorCodes(await call(REFRESH, { refreshToken: second.refreshToken }))).toEqual([
      'UNAUTHENTICATED',
    ]);
  });

  it('keeps setUserRoles for ADMINs: a customer gets FORBIDDEN, the admin succeeds', async () => {
    const customer = (await call(REGISTER, { input: newCustomer() })).data!.register;
    const denied = await call(
      SET_ROLES,
      { userId: customer.user.id, roles: ['ADMIN'] },
      customer.accessToken,
    );
    expect(errorCodes(denied)).toEqual(['FORBIDDEN']);

    const admin = (await call(LOGIN, ADMIN)).data!.login;
    const granted = await call(
      SET_ROLES,
      { userId: customer.user.id, roles: ['COURIER'] },
      admin.accessToken,
    );
    expect(granted.data!.setUserRoles.roles).toEqual(['COURIER']);
  });
});

describe('tokens the router refuses with 401 UNAUTHENTICATED', () => {
  let customer: { accessToken: string; user: { id: string } };
  beforeAll(async () => {
    customer = (await call(REGISTER, { input: newCustomer() })).data!.register;
  });

  /** A token signed with the shop's real key, with one claim wrong. */
  function signWithShopKey(overrides: Record<string, unknown>) {
    const { header } = jwt.decode(customer.accessToken, { complete: true }) as jwt.Jwt;
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      sub: customer.user.id,
      roles: ['ADMIN'],
      scope: 'shop',
      iss: platform.users.config.JWT_ISSUER,
      aud: platform.users.config.JWT_AUDIENCE,
      iat: now,
      exp: now + 60,
      ...overrides,
    };
    return jwt.sign(claims, createPrivateKey(platform.signingKeyPem), {
      algorithm: 'RS256',
      keyid: header.kid,
    });
  }

  const cases: [string, () => string][] = [
    [
      'a tampered payload',
      () => {
        const [h, , s] = customer.accessToken.split('.');
        const payload = Buffer.from(
          JSON.stringify({ sub: customer.user.id, roles: ['ADMIN'], scope: 'shop' }),
        ).toString('base64url');
        return `${h}.${payload}.${s}`;
      },
    ],
    [
      'alg none',
      () => {
        const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString(
          'base64url',
        );
        const payload = Buffer.from(
          JSON.stringify({
            sub: customer.user.id,
            roles: ['ADMIN'],
            iss: platform.users.config.JWT_ISSUER,
            aud: 'shop',
          }),
        ).toString('base64url');
        return `${header}.${payload}.`;
      },
    ],
    ['an expired token', () => signWithShopKey({ exp: Math.floor(Date.now() / 1000) - 60 })],
    ['a token for another audience', () => signWithShopKey({ aud: 'another-shop' })],
    ['a token from another issuer', () => signWithShopKey({ iss: 'https://evil.example' })],
    ['garbage', () => 'garbage'],
  ];

  it.each(cases)('%s', async (_name, token) => {
    const res = await call(ME, {}, token());
    expect(res.status).toBe(401);
    expect(errorCodes(res)).toEqual(['UNAUTHENTICATED']);
    expect(res.data ?? null).toBeNull();
  });

  it('while the same key and claims, with nothing wrong, are accepted', async () => {
    const res = await call(ME, {}, signWithShopKey({}));
    expect(res.status).toBe(200);
    expect(res.data!.me.id).toBe(customer.user.id);
  });

  it('but answers an anonymous caller normally', async () => {
    const res = await call(ME);
    expect(res.status).toBe(200);
    expect(res.data!.me).toBeNull();
  });
});
