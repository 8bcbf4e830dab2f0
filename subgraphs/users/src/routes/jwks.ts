import type { Express } from 'express';
import type { KeySet } from '../domain/tokens';

/** Public signing keys, for the router and any service that verifies shop tokens. */
export function jwksRoute(app: Express, keys: KeySet): void {
  const body = JSON.stringify(keys.jwks());
  app.get('/.well-known/jwks.json', (_req, res) => {
    // Verifiers cache keys; five minutes lets a newly added key spread quickly.
    res.set('Cache-Control', 'public, max-age=300').type('application/json').send(body);
  });
}
