/** The longest delay Node's timers take (about 24.8 days); longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Reads the token from a connection_init payload, `{ "authorization": "Bearer <jwt>" }`.
 * `Authorization` is accepted too, as clients copy the HTTP header's spelling.
 */
export function authorizationFrom(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const { authorization, Authorization } = payload as Record<string, unknown>;
  const value = authorization ?? Authorization;
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/**
 * When an already verified `Bearer <jwt>` expires, in epoch milliseconds; undefined for a
 * token without `exp` (the verifier does not require one). Read after verification only,
 * so the claims are the signed ones.
 */
export function tokenExpiresAt(authorization: string): number | undefined {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization.trim())?.[1];
  const payload = token?.split('.')[1];
  if (!payload) return undefined;
  try {
    const { exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      exp?: unknown;
    };
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Calls `onExpired` once `expiresAt` has passed, however far away it is (a single Node
 * timer cannot wait longer than ~24.8 days). Returns the function that cancels it.
 */
export function whenExpired(expiresAt: number, onExpired: () => void): () => void {
  let timer: NodeJS.Timeout;
  const schedule = () => {
    const wait = expiresAt - Date.now();
    if (wait <= 0) return onExpired();
    timer = setTimeout(schedule, Math.min(wait, MAX_TIMER_MS));
    // A pending expiry must not keep a stopping process alive.
    timer.unref();
  };
  schedule();
  return () => clearTimeout(timer);
}
