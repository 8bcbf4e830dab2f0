import jwt from 'jsonwebtoken';
import { errorCodes, fixtureForFile, graphql, queryDatabase } from '@shop/test-harness';
import { LOGIN, LOGOUT, ME, newCustomer, REFRESH, REGISTER } from './support/operations';
import { startUsersFixture } from './support/users-service';

const users = fixtureForFile(() =>
  startUsersFixture({
    LOGIN_MAX_ATTEMPTS_PER_EMAIL: '3',
    LOGIN_MAX_ATTEMPTS_PER_IP: '20',
  }),
);

const call = (
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
  headers?: Record<string, string>,
) => graphql<Record<string, any>>(users.service.url, query, variables, { token, headers });

describe('register', () => {
  it('creates a CUSTOMER account and signs it in', async () => {
    const input = newCustomer({ email: '  New.Customer@Shop.Test ', phone: '+49 151 2345678' });
    const res = await call(REGISTER, { input });
    expect(res.errors).toBeUndefined();
    const payload = res.data!.register;
    expect(payload.user).toMatchObject({
      email: 'new.customer@shop.test',
      name: input.name,
      phone: '+491512345678',
      roles: ['CUSTOMER'],
      addresses: [],
    });
    expect(payload.expiresIn).toBe(900);
    expect((jwt.decode(payload.accessToken) as jwt.JwtPayload).sub).toBe(payload.user.id);

    const me = await call(ME, {}, payload.accessToken);
    expect(me.data!.me).toMatchObject({ id: payload.user.id, email: 'new.customer@shop.test' });
  });

  it('stores an argon2id hash, never the password', async () => {
    const input = newCustomer();
    await call(REGISTER, { input });
    const [row] = await queryDatabase<{ password_hash: string }>(
      users.db.url,
      'SELECT password_hash FROM users WHERE email = $1',
      [input.email],
    );
    expect(row!.password_hash).toMatch(/^\$argon2id\$/);
    expect(row!.password_hash).not.toContain(input.password);
  });

  it('refuses an e-mail that differs only by case with CONFLICT, writing nothing', async () => {
    const input = newCustomer();
    await call(REGISTER, { input });
    const res = await call(REGISTER, { input: { ...input, email: input.email.toUpperCase() } });
    expect(errorCodes(res)).toEqual(['CONFLICT']);
    expect(res.errors![0]!.extensions).toMatchObject({ field: 'email' });
    const rows = await queryDatabase(users.db.url, 'SELECT 1 FROM users WHERE email = $1', [
      input.email,
    ]);
    expect(rows).toHaveLength(1);
  });

  it('lets only one of two simultaneous sign-ups with one e-mail win', async () => {
    const input = newCustomer();
    const results = await Promise.all([call(REGISTER, { input }), call(REGISTER, { input })]);
    expect(results.map((r) => (r.errors ? r.errors[0]!.extensions!.code : 'OK')).sort()).toEqual([
      'CONFLICT',
      'OK',
    ]);
  });

  it('names the broken rule for a short password and a malformed e-mail', async () => {
    const short = await call(REGISTER, { input: newCustomer({ password: 'short' }) });
    expect(short.errors![0]).toMatchObject({
      message: 'The password must be at least 10 characters long.',
      extensions: { code: 'BAD_USER_INPUT', field: 'password' },
    });
    const malformed = await call(REGISTER, { input: newCustomer({ email: 'not-an-email' }) });
    expect(malformed.errors![0]!.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'email',
    });
  });
});

describe('sign-up rate limit', () => {
  it('refuses more sign-ups per IP than the hourly allowance, before any account is written', async () => {
    const limited = await startUsersFixture({ REGISTRATIONS_PER_IP_PER_HOUR: '3' });
    try {
      const headers = { 'x-forwarded-for': '198.51.100.9' };
      const codes: string[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await graphql(
          limited.service.url,
          REGISTER,
          { input: newCustomer() },
          { headers },
        );
        codes.push(res.errors ? String(res.errors[0]!.extensions!.code) : 'OK');
      }
      expect(codes).toEqual(['OK', 'OK', 'OK', 'RATE_LIMITED']);
      const rows = await queryDatabase(
        limited.db.url,
        "SELECT 1 FROM users WHERE email LIKE 'customer%'",
      );
      expect(rows).toHaveLength(3);
      const other = await graphql(
        limited.service.url,
        REGISTER,
        { input: newCustomer() },
        { headers: { 'x-forwarded-for': '198.51.100.10' } },
      );
      expect(other.errors).toBeUndefined();
    } finally {
      await limited.stop();
    }
  });
});

describe('login', () => {
  it('signs in with the right password, whatever the e-mail case', async () => {
    const input = newCustomer();
    await call(REGISTER, { input });
    const res = await call(LOGIN, { email: input.email.toUpperCase(), password: input.password });
    expect(res.data!.login.user.email).toBe(input.email);
  });

  it('gives the same error for an unknown e-mail and a wrong password', async () => {
    const input = newCustomer();
    await call(REGISTER, { input });
    const wrongPassword = await call(LOGIN, { email: input.email, password: 'wrong password!' });
    const unknownUser = await call(LOGIN, {
      email: `nobody.${Date.now()}@shop.test`,
      password: input.password,
    });
    expect(wrongPassword.errors![0]).toEqual(unknownUser.errors![0]);
    expect(errorCodes(wrongPassword)).toEqual(['UNAUTHENTICATED']);
  });

  it('rate-limits attempts per e-mail, even with the right password, then says when to retry', async () => {
    const input = newCustomer();
    await call(REGISTER, { input });
    for (let i = 0; i < 3; i++) {
      expect(
        errorCodes(await call(LOGIN, { email: input.email, password: 'wrong password!' })),
      ).toEqual(['UNAUTHENTICATED']);
    }
    const limited = await call(LOGIN, { email: input.email, password: input.password });
    expect(errorCodes(limited)).toEqual(['RATE_LIMITED']);
    expect(limited.errors![0]!.extensions!.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('rate-limits attempts per IP across many e-mails', async () => {
    const headers = { 'x-forwarded-for': '203.0.113.77' };
    const codes: string[] = [];
    for (let i = 0; i < 21; i++) {
      const res = await call(
        LOGIN,
        { email: `guess${i}@shop.test`, password: 'guess password' },
        undefined,
        headers,
      );
      codes.push(errorCodes(res)[0]!);
    }
    expect(codes.slice(0, 20).every((c) => c === 'UNAUTHENTICATED')).toBe(true);
    expect(codes[20]).toBe('RATE_LIMITED');
    // Another address is not affected.
    const other = await call(
      LOGIN,
      { email: 'guess0@shop.test', password: 'guess password' },
      undefined,
      { 'x-forwarded-for': '203.0.113.78' },
    );
    expect(errorCodes(other)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('refresh tokens', () => {
  async function signUp() {
    return (await call(REGISTER, { input: newCustomer() })).data!.register;
  }

  it('rotate on every use', async () => {
    const first = await signUp();
    const second = (await call(REFRESH, { refreshToken: first.refreshToken })).data!.refreshToken;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.user.id).toBe(first.user.id);
    const third = await call(REFRESH, { refreshToken: second.refreshToken });
    expect(third.errors).toBeUndefined();
  });

  it('revoke the whole family when a spent token is used again', async () => {
    const first = await signUp();
    const second = (await call(REFRESH, { refreshToken: first.refreshToken })).data!.refreshToken;

    const replay = await call(REFRESH, { refreshToken: first.refreshToken });
    expect(errorCodes(replay)).toEqual(['UNAUTHENTICATED']);
    // The thief's replay also kills the token the rightful owner holds.
    expect(errorCodes(await call(REFRESH, { refreshToken: second.refreshToken }))).toEqual([
      'UNAUTHENTICATED',
    ]);
  });

  it('let only one of two concurrent refreshes with the same token succeed', async () => {
    const first = await signUp();
    const results = await Promise.all(
      [1, 2, 3].map(() => call(REFRESH, { refreshToken: first.refreshToken })),
    );
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
  });

  it('refuse an unknown token', async () => {
    expect(errorCodes(await call(REFRESH, { refreshToken: 'made-up' }))).toEqual([
      'UNAUTHENTICATED',
    ]);
  });

  it('stop working after logout, for every token of that sign-in only', async () => {
    const input = newCustomer();
    const phone = (await call(REGISTER, { input })).data!.register;
    const laptop = (await call(LOGIN, { email: input.email, password: input.password })).data!
      .login;

    const out = await call(LOGOUT, { refreshToken: phone.refreshToken }, phone.accessToken);
    expect(out.data!.logout).toBe(true);
    expect(errorCodes(await call(REFRESH, { refreshToken: phone.refreshToken }))).toEqual([
      'UNAUTHENTICATED',
    ]);
    expect((await call(REFRESH, { refreshToken: laptop.refreshToken })).errors).toBeUndefined();
  });

  it('cannot be logged out by another signed-in user', async () => {
    const victim = await signUp();
    const attacker = await signUp();
    const res = await call(LOGOUT, { refreshToken: victim.refreshToken }, attacker.accessToken);
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect((await call(REFRESH, { refreshToken: victim.refreshToken })).errors).toBeUndefined();
  });
});
