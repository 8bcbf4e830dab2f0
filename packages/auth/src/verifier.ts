import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import jwt, { type JwtHeader } from 'jsonwebtoken';
import { ServiceUnavailableError, UnauthenticatedError } from '@shop/errors';
import { identityFromClaims, type AccessTokenClaims, type Identity } from './identity';

/** Finds the public key for a token's `kid`; undefined when the key is unknown. */
export type KeyResolver = (kid: string) => Promise<KeyObject | string | undefined>;

export interface VerifierOptions {
  issuer: string;
  /**
   * The `aud` values accepted; a token must carry at least one. User tokens and service
   * (client-credentials) tokens have different audiences (JWT_AUDIENCE and
   * SERVICE_TOKEN_AUDIENCE): subgraphs list both, the public router only the users' one, so
   * a service token is refused there.
   */
  audience: string | readonly string[];
  keys: KeyResolver;
  /**
   * How long a token, once verified, is taken on trust when it comes again (its `exp`
   * still applies); 0 turns the cache off. Default 60 s: a key removed from the key set
   * stops working within that plus the key set's own refresh.
   */
  cacheMs?: number;
  /** Most verified tokens remembered at once (the oldest go first). Default 10,000. */
  cacheSize?: number;
}

export interface RemoteJwksOptions {
  /** An unknown `kid` triggers at most one refetch per this many ms. */
  refetchCooldownMs?: number;
  /** The whole key set is refreshed when older than this (a removed key stops working). */
  maxAgeMs?: number;
  timeoutMs?: number;
  /** Told why the key set could not be fetched when there is no last good set to serve. */
  onError?: (error: unknown) => void;
}

/**
 * Keys from a remote JWKS endpoint (the users service, or any OIDC provider).
 *
 * The whole key set is kept and looked up by `kid`. An unknown `kid` refetches the set at
 * most once per cooldown, and a failed refetch keeps the last good set. Why not jwks-rsa:
 * it caches per `kid` and rate-limits fetches globally, so a stream of forged tokens with
 * random `kid`s used up the fetch budget and valid tokens whose key was not cached yet
 * (cold start, expiry) failed with a 500.
 */
export function remoteJwks(jwksUri: string, options: RemoteJwksOptions = {}): KeyResolver {
  const cooldownMs = options.refetchCooldownMs ?? 30_000;
  const maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
  let keys: Map<string, KeyObject> | null = null;
  let fetchedAt = 0;
  let attemptedAt = 0;
  let inFlight: Promise<void> | null = null;

  const refresh = () => {
    attemptedAt = Date.now();
    inFlight ??= fetchJwks(jwksUri, options.timeoutMs ?? 5_000)
      .then((fresh) => {
        keys = fresh;
        fetchedAt = Date.now();
      })
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };

  return async (kid) => {
    const now = Date.now();
    const stale = now - fetchedAt >= maxAgeMs;
    const unknown = !keys?.has(kid);
    if (!keys || ((stale || unknown) && now - attemptedAt >= cooldownMs)) {
      // With no keys at all, the failure is the caller's (JWKS unreachable); with a last
      // good set, keep serving it and try again after the cooldown.
      await refresh().catch((error: unknown) => {
        if (keys) return;
        // A token cannot be checked while the keys are unreachable: an outage, not a bad
        // token and not a bug. The client may retry; the cause is logged here, since the
        // error the client sees does not carry it.
        options.onError?.(error);
        throw new ServiceUnavailableError(
          'Access tokens cannot be verified right now (signing keys unreachable). Try again shortly.',
          { http: { status: 503 } },
        );
      });
    }
    return keys?.get(kid);
  };
}

async function fetchJwks(jwksUri: string, timeoutMs: number): Promise<Map<string, KeyObject>> {
  const response = await fetch(jwksUri, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`JWKS ${jwksUri} answered HTTP ${response.status}`);
  const body = (await response.json()) as {
    keys?: (JsonWebKey & { kid?: string; use?: string })[];
  };
  const keys = new Map<string, KeyObject>();
  for (const jwk of body.keys ?? []) {
    if (jwk.kty !== 'RSA' || !jwk.kid || (jwk.use && jwk.use !== 'sig')) continue;
    keys.set(jwk.kid, createPublicKey({ key: jwk, format: 'jwk' }));
  }
  return keys;
}

/** Keys held in memory, for the service that issues the tokens itself. */
export function localKeys(publicKeys: () => Map<string, KeyObject>): KeyResolver {
  return async (kid) => publicKeys().get(kid);
}

/**
 * jsonwebtoken wants one value or a non-empty array; an empty list is a configuration
 * mistake, refused when the verifier is built rather than as every token's failure.
 */
function audiences(accepted: string | readonly string[]): string | [string, ...string[]] {
  if (typeof accepted === 'string') return accepted;
  const [first, ...rest] = accepted;
  if (first === undefined) throw new Error('TokenVerifier needs at least one audience');
  return [first, ...rest];
}

export const INVALID_TOKEN_MESSAGE =
  'The access token is invalid or expired. Refresh it or sign in again.';

/**
 * Verifies shop access tokens: RS256 only (no `none`, no HMAC confusion), issuer,
 * audience and expiry checked. Any failure is UNAUTHENTICATED with one generic message,
 * so the response does not help anyone forge a token.
 */
export class TokenVerifier {
  private readonly audience: string | [string, ...string[]];
  /**
   * Tokens verified lately. A storefront or a service sends the same token with every
   * request, and each subgraph and the router verified it each time: decode, key look-up,
   * an RSA signature check (with a PEM key parsed again) — about 0.2 ms per request per
   * service, several times per checkout. Keyed by the whole token string, so only the
   * very token that passed comes in without the check; failures are never remembered.
   */
  private readonly verified = new Map<string, { identity: Identity; until: number }>();
  private readonly cacheMs: number;
  private readonly cacheSize: number;

  constructor(private readonly options: VerifierOptions) {
    this.audience = audiences(options.audience);
    this.cacheMs = options.cacheMs ?? 60_000;
    this.cacheSize = options.cacheSize ?? 10_000;
  }

  async verify(token: string): Promise<Identity> {
    const now = Date.now();
    const known = this.verified.get(token);
    if (known) {
      if (now < known.until) return known.identity;
      this.verified.delete(token);
    }
    const { identity, expiresAt } = await this.check(token);
    if (this.cacheMs > 0) {
      if (this.verified.size >= this.cacheSize) {
        // Oldest first: a Map iterates in insertion order.
        this.verified.delete(this.verified.keys().next().value as string);
      }
      this.verified.set(token, { identity, until: Math.min(expiresAt, now + this.cacheMs) });
    }
    return identity;
  }

  private async check(token: string): Promise<{ identity: Identity; expiresAt: number }> {
    const decoded = jwt.decode(token, { complete: true });
    const header = decoded?.header as JwtHeader | undefined;
    if (!header || header.alg !== 'RS256' || !header.kid)
      throw UnauthenticatedError.request(INVALID_TOKEN_MESSAGE);
    const key = await this.options.keys(header.kid);
    if (!key) throw UnauthenticatedError.request(INVALID_TOKEN_MESSAGE);
    try {
      const claims = jwt.verify(token, typeof key === 'string' ? createPublicKey(key) : key, {
        algorithms: ['RS256'],
        issuer: this.options.issuer,
        audience: this.audience,
      }) as AccessTokenClaims & { exp?: number };
      if (typeof claims.sub !== 'string' || !claims.sub) throw new Error('token has no subject');
      // No exp (not issued by users, which always sets one): trusted for this request only.
      const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 : 0;
      return { identity: identityFromClaims(claims), expiresAt };
    } catch {
      throw UnauthenticatedError.request(INVALID_TOKEN_MESSAGE);
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
      throw UnauthenticatedError.request(
        'The Authorization header must be "Bearer <access token>".',
      );
    }
    return this.verify(match[1]);
  }
}

/** Whose tokens a subgraph accepts (`settings.tokenTrust()` in @shop/config, or users' own). */
export interface TokenTrust {
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
  SERVICE_TOKEN_AUDIENCE: string;
}

/**
 * A subgraph's verifier: the issuer's tokens for both audiences — customers' and staff's
 * (forwarded by the router) and other services' own — checked with `keys` (the issuer's
 * JWKS, or users' own keys, as it issues them).
 */
export function subgraphTokenVerifier(trust: TokenTrust, keys: KeyResolver): TokenVerifier {
  return new TokenVerifier({
    issuer: trust.JWT_ISSUER,
    audience: [trust.JWT_AUDIENCE, trust.SERVICE_TOKEN_AUDIENCE],
    keys,
  });
}
