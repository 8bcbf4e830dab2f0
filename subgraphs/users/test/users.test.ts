import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { errorCodes, fixtureForFile, graphql } from '@shop/test-harness';
import { UserStore } from '../src/store/user';
import {
  ADD_ADDRESS,
  LOGIN,
  ME,
  newCustomer,
  REFRESH,
  REGISTER,
  SET_ROLES,
  USERS,
} from './support/operations';
import { ADMIN, startUsersFixture } from './support/users-service';

const users = fixtureForFile(() => startUsersFixture());
let adminToken: string;
beforeAll(async () => {
  adminToken = (await call(LOGIN, ADMIN)).data!.login.accessToken;
}, 60_000);

function call(
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
  headers?: Record<string, string>,
) {
  return graphql<Record<string, any>>(users.service.url, query, variables, { token, headers });
}
async function signUp(input = newCustomer()) {
  return (await call(REGISTER, { input })).data!.register as {
    accessToken: string;
    refreshToken: string;
    user: { id: string; email: string };
  };
}

describe('me', () => {
  it('is null for anonymous callers', async () => {
    const res = await call(ME);
    expect(res.errors).toBeUndefined();
    expect(res.data!.me).toBeNull();
  });

  it('refuses a bad token instead of treating the caller as anonymous', async () => {
    const res = await call(ME, {}, 'not.a.jwt');
    expect(res.status).toBe(401);
    expect(errorCodes(res)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('addresses', () => {
  const address = { line1: 'Main Street 1', city: 'Berlin', postalCode: '10115', country: 'de' };

  it('are added to the signed-in user and listed on me', async () => {
    const customer = await signUp();
    const added = await call(ADD_ADDRESS, { input: address }, customer.accessToken);
    expect(added.data!.addAddress).toMatchObject({
      line1: 'Main Street 1',
      country: 'DE',
      line2: null,
    });
    const me = await call(ME, {}, customer.accessToken);
    expect(me.data!.me.addresses).toEqual([
      expect.objectContaining({ id: added.data!.addAddress.id, city: 'Berlin' }),
    ]);
  });

  it('need a signed-in user', async () => {
    expect(errorCodes(await call(ADD_ADDRESS, { input: address }))).toEqual(['UNAUTHENTICATED']);
  });

  it('are validated field by field', async () => {
    const customer = await signUp();
    const res = await call(
      ADD_ADDRESS,
      { input: { ...address, country: 'Narnia' } },
      customer.accessToken,
    );
    expect(res.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'country' });
    expect((await call(ME, {}, customer.accessToken)).data!.me.addresses).toEqual([]);
  });
});

describe('roles', () => {
  it('can be changed by an ADMIN, and the new role shows in the next token', async () => {
    const customer = await signUp();
    const res = await call(
      SET_ROLES,
      { userId: customer.user.id, roles: ['COURIER', 'CUSTOMER', 'COURIER'] },
      adminToken,
    );
    expect(res.data!.setUserRoles.roles.sort()).toEqual(['COURIER', 'CUSTOMER']);
  });

  it('sign out every session of a demoted user: a refresh needs a new sign-in, which gets the new roles', async () => {
    const input = newCustomer();
    const { user } = await signUp(input);
    await call(SET_ROLES, { userId: user.id, roles: ['ADMIN', 'CUSTOMER'] }, adminToken);
    const login = async () =>
      (await call(LOGIN, { email: input.email, password: input.password })).data!.login as {
        accessToken: string;
        refreshToken: string;
      };
    const phone = await login();
    const laptop = await login();
    expect(jwt.decode(phone.accessToken)).toMatchObject({ roles: ['ADMIN', 'CUSTOMER'] });

    const demoted = await call(SET_ROLES, { userId: user.id, roles: ['CUSTOMER'] }, adminToken);
    expect(demoted.data!.setUserRoles.roles).toEqual(['CUSTOMER']);

    for (const session of [phone, laptop]) {
      const refreshed = await call(REFRESH, { refreshToken: session.refreshToken });
      expect(errorCodes(refreshed)).toEqual(['UNAUTHENTICATED']);
    }
    const again = await login();
    expect(jwt.decode(again.accessToken)).toMatchObject({ roles: ['CUSTOMER'] });
    expect(errorCodes(await call(USERS, {}, again.accessToken))).toEqual(['FORBIDDEN']);
  });

  it('keep sessions when the roles set is the one the user already holds', async () => {
    const input = newCustomer();
    const { user, refreshToken } = await signUp(input);
    const same = await call(SET_ROLES, { userId: user.id, roles: ['CUSTOMER'] }, adminToken);
    expect(same.errors).toBeUndefined();
    expect((await call(REFRESH, { refreshToken })).errors).toBeUndefined();
  });

  it('cannot be changed by a customer, not even their own', async () => {
    const customer = await signUp();
    const res = await call(
      SET_ROLES,
      { userId: customer.user.id, roles: ['ADMIN'] },
      customer.accessToken,
    );
    expect(errorCodes(res)).toEqual(['FORBIDDEN']);
    const me = await call(ME, {}, customer.accessToken);
    expect(me.data!.me.roles).toEqual(['CUSTOMER']);
  });

  it('answer NOT_FOUND for an unknown user and refuse an empty role list', async () => {
    expect(
      errorCodes(
        await call(
          SET_ROLES,
          { userId: '00000000-0000-4000-8000-000000000000', roles: ['ADMIN'] },
          adminToken,
        ),
      ),
    ).toEqual(['NOT_FOUND']);
    const customer = await signUp();
    expect(
      errorCodes(await call(SET_ROLES, { userId: customer.user.id, roles: [] }, adminToken)),
    ).toEqual(['BAD_USER_INPUT']);
  });
});

describe('users list', () => {
  it('is for ADMINs only', async () => {
    const customer = await signUp();
    expect(errorCodes(await call(USERS, {}, customer.accessToken))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await call(USERS))).toEqual(['UNAUTHENTICATED']);
  });

  it('pages through every user exactly once, also while users sign up', async () => {
    for (let i = 0; i < 4; i++) await signUp();
    const seen: string[] = [];
    let after: string | null = null;
    let total = 0;
    for (let page = 0; page < 50; page++) {
      const res: Awaited<ReturnType<typeof call>> = await call(
        USERS,
        { first: 2, after },
        adminToken,
      );
      const conn = res.data!.users;
      total = conn.totalCount;
      seen.push(...conn.edges.map((e: { node: { id: string } }) => e.node.id));
      if (page === 0) await signUp(); // a sign-up in the middle lands at the end
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toHaveLength(total);
  });

  it('refuses a page size over 100 and a forged cursor', async () => {
    expect(errorCodes(await call(USERS, { first: 101 }, adminToken))).toEqual(['BAD_USER_INPUT']);
    const wellFormedButWrong = Buffer.from(JSON.stringify(['not-a-date', 'x'])).toString(
      'base64url',
    );
    expect(
      errorCodes(await call(USERS, { first: 5, after: wellFormedButWrong }, adminToken)),
    ).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await call(USERS, { first: 5, after: 'bm9wZQ' }, adminToken))).toEqual([
      'BAD_USER_INPUT',
    ]);
  });
});

describe('User entity', () => {
  const ENTITIES = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { id name } } }`;

  it('resolves many references with one database query', async () => {
    const a = await signUp();
    const b = await signUp();
    const spy = jest.spyOn(UserStore.prototype, 'findByIds');
    const reps = [a.user.id, b.user.id, 'not-a-uuid', a.user.id].map((id) => ({
      __typename: 'User',
      id,
    }));
    const res = await call(ENTITIES, { reps }, adminToken);
    expect(res.data!._entities).toEqual([
      { id: a.user.id, name: expect.any(String) },
      { id: b.user.id, name: expect.any(String) },
      null,
      { id: a.user.id, name: expect.any(String) },
    ]);
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
  });

  it('shows another customer only the name, not the e-mail', async () => {
    const owner = await signUp();
    const stranger = await signUp();
    const query = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { name email } } }`;
    const res = await call(
      query,
      { reps: [{ __typename: 'User', id: owner.user.id }] },
      stranger.accessToken,
    );
    expect(res.data!._entities[0]).toBeNull();
    expect(errorCodes(res)).toEqual(['FORBIDDEN']);
    const own = await call(
      query,
      { reps: [{ __typename: 'User', id: owner.user.id }] },
      owner.accessToken,
    );
    expect(own.data!._entities[0].email).toBe(owner.user.email);
  });
});

describe('identity spoofing straight at the subgraph', () => {
  it('grants nothing for identity headers without a verified token', async () => {
    const customer = await signUp();
    const headers = { 'x-user-id': customer.user.id, 'x-user-roles': 'ADMIN', 'x-roles': 'ADMIN' };
    expect((await call(ME, {}, undefined, headers)).data!.me).toBeNull();
    expect(errorCodes(await call(USERS, {}, undefined, headers))).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses a token signed by anyone else, even with a well-known kid', async () => {
    const customer = await signUp();
    const { header } = jwt.decode(customer.accessToken, { complete: true }) as jwt.Jwt;
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = jwt.sign(
      { roles: ['ADMIN'], scope: 'shop' },
      privateKey.export({ type: 'pkcs8', format: 'pem' }),
      {
        algorithm: 'RS256',
        keyid: header.kid,
        subject: customer.user.id,
        issuer: users.config.JWT_ISSUER,
        audience: 'shop',
        expiresIn: 60,
      },
    );
    const res = await call(USERS, {}, forged);
    expect(res.status).toBe(401);
    expect(errorCodes(res)).toEqual(['UNAUTHENTICATED']);
  });
});
