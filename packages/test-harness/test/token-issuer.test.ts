// The issuer stands in for the users service in the router's and the subgraphs' tests, so
// its tokens must mean to the shop's own verifier what the users service's tokens mean.
import { remoteJwks, Role, Scope, TokenVerifier } from '@shop/auth';
import { startTokenIssuer, type TokenIssuer } from '../src';

let tokens: TokenIssuer;
let verifier: TokenVerifier;
let userTokensOnly: TokenVerifier;
beforeAll(async () => {
  tokens = await startTokenIssuer();
  // As a subgraph verifies (both audiences) and as the public router does (users' only).
  verifier = new TokenVerifier({
    issuer: tokens.issuer,
    audience: [tokens.audience, tokens.serviceAudience],
    keys: remoteJwks(tokens.jwksUrl),
  });
  userTokensOnly = new TokenVerifier({
    issuer: tokens.issuer,
    audience: tokens.audience,
    keys: remoteJwks(tokens.jwksUrl),
  });
});
afterAll(() => tokens.stop());

it('issues user, admin and service tokens that verify against its JWKS', async () => {
  await expect(verifier.verify(tokens.userToken({ sub: 'user-1' }))).resolves.toEqual({
    kind: 'user',
    userId: 'user-1',
    roles: [Role.CUSTOMER],
    scopes: [Scope.SHOP],
  });
  await expect(verifier.verify(tokens.adminToken())).resolves.toMatchObject({
    kind: 'user',
    roles: [Role.ADMIN],
  });
  await expect(
    verifier.verify(tokens.serviceToken('orders-service', [Scope.PRODUCTS_RESERVE])),
  ).resolves.toEqual({
    kind: 'service',
    clientId: 'orders-service',
    roles: [],
    scopes: [Scope.PRODUCTS_RESERVE],
  });
});

it('gives service tokens the service audience, which a verifier of user tokens refuses', async () => {
  const service = tokens.serviceToken('orders-service', [Scope.PRODUCTS_RESERVE]);
  await expect(userTokensOnly.verify(service)).rejects.toMatchObject({
    extensions: { code: 'UNAUTHENTICATED' },
  });
  await expect(userTokensOnly.verify(tokens.adminToken())).resolves.toMatchObject({
    kind: 'user',
  });
});

it.each([
  ['signed by a key it does not publish', () => tokens.foreignToken()],
  ['expired', () => tokens.userToken({}, { expiresIn: -60 })],
  ['for another audience', () => tokens.userToken({}, { audience: 'admin-console' })],
  ['from another issuer', () => tokens.userToken({}, { issuer: 'https://evil.example' })],
  ['under an unknown kid', () => tokens.userToken({}, { keyid: 'retired-key' })],
])('makes tokens %s that the verifier refuses', async (_, token) => {
  await expect(verifier.verify(token())).rejects.toMatchObject({
    extensions: { code: 'UNAUTHENTICATED' },
  });
});

it('serves its key under its kid', async () => {
  const response = await fetch(tokens.jwksUrl);
  const { keys } = (await response.json()) as { keys: { kid: string; alg: string }[] };

  expect(keys).toEqual([expect.objectContaining({ kid: tokens.kid, alg: 'RS256' })]);
});
