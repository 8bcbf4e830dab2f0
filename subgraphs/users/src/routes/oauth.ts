import express, { type Express, type Request, type Response } from 'express';
import { RateLimitedError } from '@shop/errors';
import type { Logger } from '@shop/logging';
import type { ClientSecretLimiter } from '../services/client-secret-limiter';
import { grantScopes, secretMatches, type OAuthClient } from '../domain/oauth-clients';
import type { AccessTokenSigner } from '../domain/tokens';

/** RFC 6749 §5.2 error response. */
function oauthError(res: Response, status: number, error: string, description: string): void {
  if (status === 401) res.set('WWW-Authenticate', 'Basic realm="shop"');
  res
    .status(status)
    .set('Cache-Control', 'no-store')
    .json({ error, error_description: description });
}

/** Client id and secret from HTTP Basic (client_secret_basic) or the form (client_secret_post). */
function clientCredentials(req: Request): { id?: string; secret?: string } {
  const header = req.headers.authorization;
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      return {
        id: decodeURIComponent(decoded.slice(0, colon)),
        secret: decodeURIComponent(decoded.slice(colon + 1)),
      };
    }
  }
  const body = (req.body ?? {}) as Record<string, unknown>;
  return {
    id: typeof body.client_id === 'string' ? body.client_id : undefined,
    secret: typeof body.client_secret === 'string' ? body.client_secret : undefined,
  };
}

/**
 * OAuth 2.0 client-credentials grant (RFC 6749 §4.4): internal services (workers, orders
 * calling products) exchange their client id and secret for a short-lived scoped token.
 */
export function oauthTokenRoute(
  app: Express,
  clients: OAuthClient[],
  signer: AccessTokenSigner,
  limiter: ClientSecretLimiter,
  log: Logger,
): void {
  app.post(
    '/oauth/token',
    express.urlencoded({ extended: false, limit: '10kb' }),
    async (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (body.grant_type !== 'client_credentials') {
        return oauthError(
          res,
          400,
          'unsupported_grant_type',
          'Only grant_type=client_credentials is supported.',
        );
      }
      const { id, secret } = clientCredentials(req);
      const ip = req.ip ?? 'unknown';
      try {
        await limiter.attempt(id, ip);
      } catch (error) {
        if (!(error instanceof RateLimitedError)) throw error;
        const seconds = Number(error.extensions.retryAfterSeconds);
        log.warn({ clientId: id, clientIp: ip }, 'oauth client authentication rate-limited');
        res.set('Retry-After', String(seconds));
        return oauthError(
          res,
          429,
          'slow_down',
          `Too many failed client authentications. Try again in ${seconds} seconds.`,
        );
      }
      const client = clients.find((c) => c.clientId === id);
      if (!client || secret === undefined || !secretMatches(client.secret, secret)) {
        log.warn({ clientId: id, clientIp: ip }, 'oauth client authentication failed');
        return oauthError(res, 401, 'invalid_client', 'Unknown client or wrong client secret.');
      }
      await limiter.succeeded(client.clientId, ip);
      const scopes = grantScopes(client, typeof body.scope === 'string' ? body.scope : undefined);
      if (!scopes) {
        return oauthError(
          res,
          400,
          'invalid_scope',
          `Client ${client.clientId} may not request that scope.`,
        );
      }
      res.set('Cache-Control', 'no-store').json({
        access_token: signer.forService(client.clientId, scopes),
        token_type: 'Bearer',
        expires_in: signer.ttlSeconds,
        scope: scopes.join(' '),
      });
    },
  );
}
