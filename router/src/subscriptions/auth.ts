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
 * When each connection's token runs out, for all of the router's connections at once: one
 * timer, ticking every second while any token is pending, and the connections bucketed by
 * the second their token expires in. A timer per connection cost each of 10,000 idle
 * connections a Timeout and two closures; here a connection is one entry in its second's
 * set. A token is enforced within a second of its `exp`, which JWTs give in whole seconds.
 */
export class TokenExpiries<T> {
  private readonly due = new Map<number, Set<T>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly onExpired: (item: T) => void) {}

  /** Calls onExpired(item) once `expiresAt` (epoch ms) has passed, unless removed first. */
  add(item: T, expiresAt: number): void {
    const second = Math.ceil(expiresAt / 1000);
    let bucket = this.due.get(second);
    if (!bucket) {
      bucket = new Set();
      this.due.set(second, bucket);
    }
    bucket.add(item);
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), 1000);
      // A pending expiry must not keep a stopping process alive.
      this.timer.unref();
    }
  }

  /** Forgets `item` (its connection closed); `expiresAt` as it was added. */
  remove(item: T, expiresAt: number): void {
    const second = Math.ceil(expiresAt / 1000);
    const bucket = this.due.get(second);
    if (!bucket?.delete(item)) return;
    if (bucket.size === 0) this.due.delete(second);
    this.stopWhenIdle();
  }

  /** Tokens still pending. */
  get size(): number {
    let n = 0;
    for (const bucket of this.due.values()) n += bucket.size;
    return n;
  }

  private tick(): void {
    const now = Date.now() / 1000;
    for (const [second, bucket] of this.due) {
      if (second > now) continue;
      this.due.delete(second);
      for (const item of bucket) this.onExpired(item);
    }
    this.stopWhenIdle();
  }

  private stopWhenIdle(): void {
    if (this.due.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
