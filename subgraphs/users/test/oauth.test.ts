import { createPublicKey, type JsonWebKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { errorCodes, fixtureForFile, graphql } from '@shop/test-harness';
import { localKeys, TokenVerifier } from '@shop/auth';
import { LOGIN } from './support/operations';
import { ADMIN, startUsersFixture, SERVICE_CLIENT } from './support/users-service';

const users = fixtureForFile(() => startUsersFixture());
let base: string;
beforeAll(() => {
  base = `http://127.0.0.1:${users.service.port}`;
});

function tokenRequest(form: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
}
const basic = (id: string, secret: string) => ({
  authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
});

describe('POST /oauth/token (client credentials)', () => {
  it('issues a scoped service token for a client authenticated with HTTP Basic', async () => {
    const res = await tokenRequest(
      { grant_type: 'client_credentials', scope: 'users:read' },
      basic(SERVICE_CLIENT.id, SERVICE_CLIENT.secret),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as {
      access_token: string;
      token_type: string;
      expires_in: number;
      scope: string;
    };
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'users:read' });

    // The token verifies against the published JWKS as a service identity.
    const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    expect(jwks.keys.length).toBeGreaterThan(0);
    const keys = localKeys(
      () =>
        new Map(
          jwks.keys.map((k) => [k.kid, createPublicKey({ key: k as JsonWebKey, format: 'jwk' })]),
        ),
    );
    // Subgraphs accept both audiences; the token carries the service one.
    const subgraphVerifier = new TokenVerifier({
      issuer: users.config.JWT_ISSUER,
      audience: [users.config.JWT_AUDIENCE, users.config.SERVICE_TOKEN_AUDIENCE],
      keys,
    });
    await expect(subgraphVerifier.verify(body.access_token)).resolves.toEqual({
      kind: 'service',
      clientId: SERVICE_CLIENT.id,
      roles: [],
      scopes: ['users:read'],
    });
    expect(jwt.decode(body.access_token)).toMatchObject({ aud: 'shop-services' });

    // The public router accepts user tokens only: a service token is no key to the shop's
    // public API, while a user's token from the same service is.
    const routerVerifier = new TokenVerifier({
      issuer: users.config.JWT_ISSUER,
      audience: users.config.JWT_AUDIENCE,
      keys,
    });
    await expect(routerVerifier.verify(body.access_token)).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
    });
    const admin = await graphql<any>(users.service.url, LOGIN, ADMIN);
    await expect(routerVerifier.verify(admin.data.login.accessToken)).resolves.toMatchObject({
      kind: 'user',
    });
  });

  it('accepts client_secret_post and grants all the client scopes when none are asked for', async () => {
    const res = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: SERVICE_CLIENT.id,
      client_secret: SERVICE_CLIENT.secret,
    });
    expect(((await res.json()) as { scope: string }).scope).toBe(SERVICE_CLIENT.scopes.join(' '));
  });

  it('answers 401 invalid_client for a wrong secret or an unknown client', async () => {
    for (const creds of [
      basic(SERVICE_CLIENT.id, 'wrong-secret-0000000'),
      basic('nobody', 'whatever-secret-000'),
    ]) {
      const res = await tokenRequest({ grant_type: 'client_credentials' }, creds);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
      expect(await res.json()).toMatchObject({ error: 'invalid_client' });
    }
  });

  it('refuses other grant types and scopes the client does not hold', async () => {
    const grant = await tokenRequest(
      { grant_type: 'password' },
      basic(SERVICE_CLIENT.id, SERVICE_CLIENT.secret),
    );
    expect(grant.status).toBe(400);
    expect(await grant.json()).toMatchObject({ error: 'unsupported_grant_type' });
    const scope = await tokenRequest(
      { grant_type: 'client_credentials', scope: 'orders:write' },
      basic(SERVICE_CLIENT.id, SERVICE_CLIENT.secret),
    );
    expect(scope.status).toBe(400);
    expect(await scope.json()).toMatchObject({ error: 'invalid_scope' });
  });

  it('gives a service token no user powers', async () => {
    const res = await tokenRequest(
      { grant_type: 'client_credentials' },
      basic(SERVICE_CLIENT.id, SERVICE_CLIENT.secret),
    );
    const { access_token } = (await res.json()) as { access_token: string };
    const list = await graphql(
      users.service.url,
      '{ users { totalCount } }',
      {},
      { token: access_token },
    );
    expect(errorCodes(list)).toEqual(['FORBIDDEN']);
  });

  it('lets a service read private user fields only with the users:read scope', async () => {
    const tokenFor = async (scope: string) => {
      const res = await tokenRequest(
        { grant_type: 'client_credentials', scope },
        basic(SERVICE_CLIENT.id, SERVICE_CLIENT.secret),
      );
      return ((await res.json()) as { access_token: string }).access_token;
    };
    const admin = await graphql<any>(users.service.url, LOGIN, ADMIN);
    const reps = [{ __typename: 'User', id: admin.data.login.user.id }];
    const query = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { email } } }`;

    const reader = await graphql<any>(
      users.service.url,
      query,
      { reps },
      { token: await tokenFor('users:read') },
    );
    expect(reader.data._entities[0].email).toBe(ADMIN.email);
    const other = await graphql<any>(
      users.service.url,
      query,
      { reps },
      { token: await tokenFor('products:reserve') },
    );
    expect(errorCodes(other)).toEqual(['FORBIDDEN']);
  });
});
