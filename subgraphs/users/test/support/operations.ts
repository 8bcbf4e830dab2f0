// GraphQL operations as a storefront would send them.
export const USER_FIELDS =
  'id email name phone roles addresses { id line1 city postalCode country }';

export const REGISTER = `mutation Register($input: RegisterInput!) {
  register(input: $input) { accessToken refreshToken expiresIn user { ${USER_FIELDS} } }
}`;
export const LOGIN = `mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken refreshToken expiresIn user { id email roles } }
}`;
export const REFRESH = `mutation Refresh($refreshToken: String!) {
  refreshToken(refreshToken: $refreshToken) { accessToken refreshToken user { id } }
}`;
export const LOGOUT = `mutation Logout($refreshToken: String!) { logout(refreshToken: $refreshToken) }`;
export const ME = `query { me { ${USER_FIELDS} } }`;
export const ADD_ADDRESS = `mutation AddAddress($input: AddressInput!) {
  addAddress(input: $input) { id line1 line2 city postalCode country }
}`;
export const SET_ROLES = `mutation SetRoles($userId: ID!, $roles: [Role!]!) {
  setUserRoles(userId: $userId, roles: $roles) { id roles }
}`;
export const USERS = `query Users($first: Int, $after: String) {
  users(first: $first, after: $after) { totalCount edges { cursor node { id email } } pageInfo { hasNextPage endCursor } }
}`;

let counter = 0;
/** A unique, valid registration input. */
export function newCustomer(
  overrides: Partial<{ email: string; password: string; name: string; phone: string }> = {},
) {
  counter += 1;
  return {
    email: `customer${counter}.${Date.now()}@shop.test`,
    password: 'correct horse battery',
    name: `Customer ${counter}`,
    ...overrides,
  };
}
