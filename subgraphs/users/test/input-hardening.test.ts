import { randomUUID } from 'node:crypto';
import { errorCodes, queryDatabase } from '@shop/test-harness';
import { MAX_ADDRESSES_PER_USER } from '../src/domain/address';
import { ADD_ADDRESS, LOGIN, ME, newCustomer, REGISTER, USERS } from './support/operations';
import { usersServiceForFile } from './support/users-service';

const session = usersServiceForFile();
const call = (query: string, variables: Record<string, unknown> = {}, token?: string) =>
  session.call(query, variables, token);
async function signUp() {
  return (await call(REGISTER, { input: newCustomer() })).data!.register as {
    accessToken: string;
    user: { id: string };
  };
}
const accountsWith = (email: string) =>
  queryDatabase(session.fixture.db.url, 'SELECT 1 FROM users WHERE email = $1', [
    email.toLowerCase(),
  ]);
const addressCount = async (userId: string) =>
  Number(
    (
      await queryDatabase<{ n: string }>(
        session.fixture.db.url,
        'SELECT count(*) AS n FROM addresses WHERE user_id = $1',
        [userId],
      )
    )[0]!.n,
  );

const address = { line1: 'Main Street 1', city: 'Berlin', postalCode: '10115', country: 'DE' };
const NUL = '\u0000';
const LONE_SURROGATE = '\uD800';
const RTL_OVERRIDE = '\u202E';

describe('text no store can keep (NUL, lone surrogates)', () => {
  it.each([
    ['a NUL', `Ann${NUL}`],
    ['a lone surrogate', `Ann${LONE_SURROGATE}`],
  ])(
    'in a sign-up name (%s) is BAD_USER_INPUT for input.name, no account written',
    async (_, name) => {
      const input = newCustomer({ name });
      const res = await call(REGISTER, { input });
      expect(res.status).toBe(400);
      expect(res.errors![0]!.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'input.name',
      });
      expect(await accountsWith(input.email)).toHaveLength(0);
    },
  );

  it.each([
    ['a NUL', `ann${NUL}@shop.test`],
    ['a lone surrogate', `ann${LONE_SURROGATE}@shop.test`],
  ])('in a login e-mail (%s) is BAD_USER_INPUT for email', async (_, email) => {
    const res = await call(LOGIN, { email, password: 'correct horse battery' });
    expect(res.status).toBe(400);
    expect(res.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'email' });
  });

  it.each([
    ['line1', { line1: `Main Street 1${NUL}` }],
    ['city', { city: `Berlin${LONE_SURROGATE}` }],
    ['postalCode', { postalCode: `${NUL}10115` }],
  ])('in an address %s is BAD_USER_INPUT for that field, nothing written', async (field, bad) => {
    const customer = await signUp();
    const res = await call(ADD_ADDRESS, { input: { ...address, ...bad } }, customer.accessToken);
    expect(res.status).toBe(400);
    expect(res.errors![0]!.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: `input.${field}`,
    });
    expect(await addressCount(customer.user.id)).toBe(0);
  });
});

describe('display text (names, address lines)', () => {
  it.each([
    ['a CR/LF', 'Ann\r\nBcc: everyone@shop.test'],
    ['a tab', 'Ann\tSmith'],
    ['a right-to-left override', `Ann ${RTL_OVERRIDE}nimda`],
    ['a directional isolate', 'Ann \u2066x\u2069'],
  ])('refuses a name with %s, writing no account', async (_, name) => {
    const input = newCustomer({ name });
    const res = await call(REGISTER, { input });
    expect(res.errors![0]).toMatchObject({
      message: expect.stringContaining('name contains characters that are not allowed'),
      extensions: { code: 'BAD_USER_INPUT', field: 'name' },
    });
    expect(await accountsWith(input.email)).toHaveLength(0);
  });

  it.each([
    ['line1', { line1: 'Main Street 1\r\nAttn: someone else' }],
    ['line2', { line2: `Flat 3 ${RTL_OVERRIDE}B` }],
    ['city', { city: '\u0007Berlin' }],
    ['postalCode', { postalCode: '10115\n' }],
  ])('refuses an address whose %s holds control or override characters', async (field, bad) => {
    const customer = await signUp();
    const res = await call(ADD_ADDRESS, { input: { ...address, ...bad } }, customer.accessToken);
    expect(res.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await addressCount(customer.user.id)).toBe(0);
  });

  it.each([
    ['a control character', 'ann\u0007@shop.test'],
    ['a right-to-left override', `ann${RTL_OVERRIDE}@shop.test`],
  ])('refuses a sign-up e-mail with %s, writing no account', async (_, email) => {
    const res = await call(REGISTER, { input: newCustomer({ email }) });
    expect(res.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'email' });
    expect(await accountsWith(email)).toHaveLength(0);
  });

  it('keeps accepting names and addresses in any script, right-to-left ones included', async () => {
    const input = newCustomer({ name: 'محمد Zoë Ünal 李' });
    const res = await call(REGISTER, { input });
    expect(res.errors).toBeUndefined();
    expect(res.data!.register.user.name).toBe('محمد Zoë Ünal 李');
    const added = await call(
      ADD_ADDRESS,
      { input: { ...address, line1: 'شارع الملك ١٢', line2: 'Hinterhaus, 3. OG' } },
      res.data!.register.accessToken,
    );
    expect(added.errors).toBeUndefined();
    expect(added.data!.addAddress).toMatchObject({ line1: 'شارع الملك ١٢' });
  });
});

describe('users(after:) cursors', () => {
  const cursor = (key: unknown[]) => Buffer.from(JSON.stringify(key)).toString('base64url');

  it.each([
    ['the earliest JavaScript date', '-271821-04-20T00:00:00.000Z'],
    ['the latest JavaScript date', '+275760-09-13T00:00:00.000Z'],
    ['year 10000', '+010000-01-01T00:00:00.000Z'],
  ])('refuse a cursor at %s with BAD_USER_INPUT for after', async (_, date) => {
    const res = await call(
      USERS,
      { first: 5, after: cursor([date, randomUUID()]) },
      session.adminToken,
    );
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0]!.extensions).toMatchObject({ field: 'after' });
  });

  it('still accept a cursor at the first stored moment (0001-01-01)', async () => {
    const res = await call(
      USERS,
      { first: 1, after: cursor(['0001-01-01T00:00:00.000Z', randomUUID()]) },
      session.adminToken,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.users.edges).toHaveLength(1);
  });
});

describe('the per-account address cap', () => {
  it(`holds when ten addAddress calls race at ${MAX_ADDRESSES_PER_USER - 1} addresses`, async () => {
    const customer = await signUp();
    await queryDatabase(
      session.fixture.db.url,
      `INSERT INTO addresses (id, user_id, line1, city, postal_code, country)
       SELECT gen_random_uuid(), $1, 'Street ' || g, 'Berlin', '10115', 'DE'
       FROM generate_series(1, $2::int) AS g`,
      [customer.user.id, MAX_ADDRESSES_PER_USER - 1],
    );

    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call(ADD_ADDRESS, { input: { ...address, line1: `Race ${i}` } }, customer.accessToken),
      ),
    );
    const outcomes = results.map((r) => (r.errors ? errorCodes(r).join() : 'OK'));
    expect(outcomes.filter((o) => o === 'OK')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'BAD_USER_INPUT')).toHaveLength(9);
    expect(results.find((r) => r.errors)!.errors![0]!.message).toBe(
      `An account can hold at most ${MAX_ADDRESSES_PER_USER} addresses.`,
    );
    expect(await addressCount(customer.user.id)).toBe(MAX_ADDRESSES_PER_USER);

    // At the cap, a second burst adds nothing.
    const again = await Promise.all(
      Array.from({ length: 10 }, () => call(ADD_ADDRESS, { input: address }, customer.accessToken)),
    );
    expect(again.every((r) => errorCodes(r).join() === 'BAD_USER_INPUT')).toBe(true);
    expect(await addressCount(customer.user.id)).toBe(MAX_ADDRESSES_PER_USER);
    expect((await call(ME, {}, customer.accessToken)).data!.me.addresses).toHaveLength(
      MAX_ADDRESSES_PER_USER,
    );
  });

  it('answers NOT_FOUND, not a database error, for an account deleted while its token lives', async () => {
    const customer = await signUp();
    await queryDatabase(session.fixture.db.url, 'DELETE FROM users WHERE id = $1', [
      customer.user.id,
    ]);
    const res = await call(ADD_ADDRESS, { input: address }, customer.accessToken);
    expect(errorCodes(res)).toEqual(['NOT_FOUND']);
    expect(await addressCount(customer.user.id)).toBe(0);
  });
});
