import { createPublicKey, type KeyObject } from 'node:crypto';
import jwt, { type JwtHeader } from 'jsonwebtoken';
import { JwksClient } from 'jwks-rsa';
import { UnauthenticatedError } from '@shop/errors';
import { identityFromClaims, type AccessTokenClaims, type Identity } from './identity';

/** Finds the public key for a token's `kid`; undefined when the key is unknown. */
export type KeyResolver = (kid: string) => Promise<KeyObject | string | undefined>;

export interface VerifierOptions {
  issuer: string;
  audience: string;
  keys: KeyResolver;
}

/**
 * Keys from a remote JWKS endpoint (the users service, or any OIDC provider). jwks-rsa
 * caches keys by `kid` and refetches, rate-limited, when an unknown `kid` shows up — which
 * is exactly what a key rotation needs.
 */
export function remoteJwks(jwksUri: string): KeyResolver {
  const client = new JwksClient({
    jwksUri,
    cache: true,
    cacheMaxAge: 10 * 60_000,
    rateLimit: true,
    jwksRequestsPerMinute: 30,
    timeout: 5_000,
  });
  return async (kid) => {
    try {
      return (await client.getSigningKey(kid)).getPublicKey();
    } catch (error) {
      if ((error as Error).name === 'SigningKeyNotFoundError') return undefined;
      throw error;
    }
  };
}

/** Keys held in memory, for the service that issues the tokens itself. */
export function localKeys(publicKeys: () => Map<string, KeyObject>): KeyResolver {
  return async (kid) => publicKeys().get(kid);
}

export const INVALID_TOKEN_MESSAGE =
  'The access token is invalid or expired. Refresh it or sign in again.';

/**
 * Verifies shop access tokens: RS256 only (no `none`, no HMAC confusion), issuer,
 * audience and expiry checked. Any failure is UNAUTHENTICATED with one generic message,
 * so the response does not help anyone forge a token.
 */
export class TokenVerifier {
  constructor(private readonly options: VerifierOptions) {}

  async verify(token: string): Promise<Identity> {
    const decoded = jwt.decode(token, { complete: true });
    const header = decoded?.header as JwtHeader | undefined;
    if (!header || header.alg !== 'RS256' || !header.kid)
      throw new UnauthenticatedError(INVALID_TOKEN_MESSAGE);
    const key = await this.options.keys(header.kid);
    if (!key) throw new UnauthenticatedError(INVALID_TOKEN_MESSAGE);
    try {
      const claims = jwt.verify(token, typeof key === 'string' ? createPublicKey(key) : key, {
        algorithms: ['RS256'],
        issuer: this.options.issuer,
        audience: this.options.audience,
      }) as AccessTokenClaims;
      if (typeof claims.sub !== 'string' || !claims.sub) throw new Error('token has no subject');
      return identityFromClaims(claims);
    } catch {
      throw new UnauthenticatedError(INVALID_TOKEN_MESSAGE);
    }
  }

  /**
   * Reads an `Authorization` header. No header means anonymous (null). A header that is
   * present but wrong is an error, never a quiet downgrade to anonymous.
   */
  async fromAuthorizationHeader(header: string | undefined): Promise<Identity | null> {
    if (header === undefined || header === '') return null;
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!match?.[1]) {
      throw new UnauthenticatedError('The Authorization header must be "Bearer <access token>".');
    }
    return this.verify(match[1]);
  }
}
