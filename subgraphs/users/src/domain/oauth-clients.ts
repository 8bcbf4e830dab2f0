import { timingSafeEqual, createHash } from 'node:crypto';

export interface OAuthClient {
  clientId: string;
  secret: string;
  scopes: string[];
}

/**
 * Parses OAUTH_CLIENTS: `clientId:secret:scope1+scope2`, comma-separated. Only the first
 * two colons separate fields, because scopes contain colons themselves (`users:read`).
 */
export function parseOAuthClients(value: string): OAuthClient[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [clientId, secret, ...scopeParts] = entry.split(':');
      const scopes = scopeParts.join(':');
      if (!clientId || !secret || secret.length < 16) {
        throw new Error(
          `OAUTH_CLIENTS entry "${clientId ?? entry}" must look like clientId:secret:scope1+scope2 with a secret of 16+ characters`,
        );
      }
      return { clientId, secret, scopes: scopes.split('+').filter(Boolean) };
    });
}

/** Constant-time comparison, so the response time does not leak how much of a secret matched. */
export function secretMatches(expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

/**
 * Which of the requested scopes to grant: all of the client's scopes when none are asked
 * for, otherwise the requested ones if the client holds every one (else null: invalid_scope).
 */
export function grantScopes(client: OAuthClient, requested: string | undefined): string[] | null {
  if (!requested?.trim()) return client.scopes;
  const asked = requested.split(' ').filter(Boolean);
  return asked.every((s) => client.scopes.includes(s)) ? asked : null;
}
