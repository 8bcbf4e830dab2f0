import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Where the board is served; its session cookie is sent by browsers to this path only. */
export const BOARD_PATH = '/admin/queues';
/** POST with an ADMIN bearer token: answers with the board's session cookie. */
export const SESSION_PATH = '/admin/session';
/** A page that signs a browser in: email and password (or an access token) → the cookie. */
export const LOGIN_PATH = '/admin/login';
/** Clears the cookie and goes back to the login page. */
export const LOGOUT_PATH = '/admin/logout';

export const SESSION_COOKIE = 'shop_queue_board';

/**
 * What a session cookie says: for which purpose (so a value signed for something else
 * never passes here), whose it is, and until when (ms since the epoch).
 */
interface SessionClaims {
  use: 'queue-board';
  sub: string;
  exp: number;
}

export type SessionCheck =
  | { ok: true; userId: string; expiresAt: number }
  | { ok: false; reason: 'missing' | 'invalid' | 'expired' };

const VERSION = 'v1';

/**
 * The queue board's browser sessions: `v1.<claims>.<HMAC-SHA256>`, both parts base64url.
 * Not a JWT and not signed by the token keys, so no verifier of access tokens takes it;
 * nothing is stored server-side, so every router replica with the same secret accepts it.
 * A session cannot be revoked before it expires: that is why it lives 15 minutes at most.
 */
export class BoardSessions {
  private readonly key: Buffer;

  /**
   * `secret`: QUEUE_BOARD_SESSION_SECRET, or undefined for a random key of this process
   * (development: one router, and its restart signs everyone out, which is harmless).
   */
  constructor(
    secret: string | undefined,
    private readonly ttlMs: number,
  ) {
    // A key of its own derived from the secret: the same secret reused elsewhere by
    // mistake still never signs the same bytes as here.
    this.key = createHmac('sha256', secret ?? randomBytes(32))
      .update('shop queue board session')
      .digest();
  }

  /**
   * A cookie value for an ADMIN, ending at the TTL or when the token it was issued for
   * ends, whichever comes first (a session never outlives the proof it was given for).
   */
  issue(
    userId: string,
    tokenExpiresAt: number | undefined,
    now = Date.now(),
  ): { value: string; expiresAt: number } {
    const expiresAt = Math.min(now + this.ttlMs, tokenExpiresAt ?? Infinity);
    const claims: SessionClaims = { use: 'queue-board', sub: userId, exp: expiresAt };
    const body = `${VERSION}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return { value: `${body}.${this.sign(body)}`, expiresAt };
  }

  check(value: string | undefined, now = Date.now()): SessionCheck {
    if (!value) return { ok: false, reason: 'missing' };
    const parts = value.split('.');
    if (parts.length !== 3 || parts[0] !== VERSION) return { ok: false, reason: 'invalid' };
    const body = `${parts[0]}.${parts[1]}`;
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(parts[2]!);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, reason: 'invalid' };
    }
    let claims: Partial<SessionClaims>;
    try {
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'invalid' };
    }
    if (claims.use !== 'queue-board' || typeof claims.sub !== 'string' || !claims.sub) {
      return { ok: false, reason: 'invalid' };
    }
    if (typeof claims.exp !== 'number' || claims.exp <= now) {
      return { ok: false, reason: 'expired' };
    }
    return { ok: true, userId: claims.sub, expiresAt: claims.exp };
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}

/** One cookie's value from a Cookie header (no cookie-parser: this is the only cookie read). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const separator = pair.indexOf('=');
    if (separator > 0 && pair.slice(0, separator).trim() === name) {
      return pair.slice(separator + 1).trim();
    }
  }
  return undefined;
}
