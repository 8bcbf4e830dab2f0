/** Roles a user account can hold (docs/api.md: enum Role). */
export const Role = { CUSTOMER: 'CUSTOMER', ADMIN: 'ADMIN', COURIER: 'COURIER' } as const;
export type Role = (typeof Role)[keyof typeof Role];
export const ROLES: readonly Role[] = Object.values(Role);

/**
 * Scopes that service tokens (OAuth client credentials) can be granted. Each names one
 * narrow internal capability; user tokens carry only `shop`.
 */
export const Scope = {
  SHOP: 'shop',
  USERS_READ: 'users:read',
  PRODUCTS_RESERVE: 'products:reserve',
  ORDERS_READ: 'orders:read',
  ORDERS_WRITE: 'orders:write',
} as const;
export type Scope = (typeof Scope)[keyof typeof Scope];

/** Who is asking, as proven by a verified access token. */
export type Identity =
  | { kind: 'user'; userId: string; roles: Role[]; scopes: string[] }
  | { kind: 'service'; clientId: string; roles: []; scopes: string[] };

/** The claims that the shop's access tokens carry beyond the registered ones. */
export interface AccessTokenClaims {
  sub: string;
  roles: string[];
  scope: string;
  /** Present on service tokens (RFC 9068 `client_id`); equal to `sub` there. */
  client_id?: string;
}

export function identityFromClaims(claims: AccessTokenClaims): Identity {
  const scopes = claims.scope ? claims.scope.split(' ').filter(Boolean) : [];
  if (claims.client_id && claims.client_id === claims.sub) {
    return { kind: 'service', clientId: claims.sub, roles: [], scopes };
  }
  const roles = (claims.roles ?? []).filter((r): r is Role => (ROLES as string[]).includes(r));
  return { kind: 'user', userId: claims.sub, roles, scopes };
}
