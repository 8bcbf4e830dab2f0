import { ForbiddenError, UnauthenticatedError } from '@shop/errors';
import type { Identity, Role } from './identity';

type UserIdentity = Extract<Identity, { kind: 'user' }>;
type ServiceIdentity = Extract<Identity, { kind: 'service' }>;

/** The signed-in user, or UNAUTHENTICATED. */
export function requireUser(identity: Identity | null): UserIdentity {
  if (!identity) throw new UnauthenticatedError();
  if (identity.kind !== 'user') throw new ForbiddenError('This operation is for signed-in users.');
  return identity;
}

/** A signed-in user holding at least one of the roles, or FORBIDDEN. */
export function requireRole(identity: Identity | null, ...roles: Role[]): UserIdentity {
  const user = requireUser(identity);
  if (!roles.some((role) => user.roles.includes(role))) {
    throw new ForbiddenError(`This operation requires the ${roles.join(' or ')} role.`);
  }
  return user;
}

/** A service token granted the scope, or FORBIDDEN. Used by internal operations. */
export function requireServiceScope(identity: Identity | null, scope: string): ServiceIdentity {
  if (!identity) throw new UnauthenticatedError('This internal operation needs a service token.');
  if (identity.kind !== 'service' || !identity.scopes.includes(scope)) {
    throw new ForbiddenError(`This internal operation requires the "${scope}" scope.`);
  }
  return identity;
}

export function hasRole(identity: Identity | null, role: Role): boolean {
  return identity?.kind === 'user' && identity.roles.includes(role);
}
