import type { Identity } from '@shop/auth';

/**
 * What a subgraph can authorise a subscription or an entity fetch on: the verified
 * identity, which is all the shop's services read from a token (`identityFromClaims`):
 * kind, subject, roles and scopes. Roles and scopes are sets to them, so they are sorted.
 *
 * Not the token itself: an app holds several tokens of one user over time (each refresh
 * issues a new one), and two of them with the same claims grant exactly the same. Comparing
 * token strings would split one customer's 10,000 open apps into as many groups as tokens.
 * What differs between such tokens — issue and expiry times — is enforced per client
 * connection, not per group (each connection closes with 4403 at its own token's expiry).
 */
export function identityKey(identity: Identity): string {
  const subject = identity.kind === 'user' ? identity.userId : identity.clientId;
  return JSON.stringify([
    identity.kind,
    subject,
    [...identity.roles].sort(),
    [...identity.scopes].sort(),
  ]);
}

/**
 * Client subscriptions with equal keys share one group (group.ts): the same identity, the
 * same operation document and name, the same variables (object keys in any order).
 */
export function groupKey(
  identity: string,
  query: string,
  operationName: string | null | undefined,
  variables: Record<string, unknown>,
): string {
  return `${identity}\n${operationName ?? ''}\n${stableJson(variables)}\n${query}`;
}

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` give the same text. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) return inner;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(inner).sort()) {
      sorted[key] = (inner as Record<string, unknown>)[key];
    }
    return sorted;
  });
}
