import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import type { RateLimiterRedis } from 'rate-limiter-flexible';
import { redisBucket, spend } from './login-limiter';

export interface ClientSecretLimits {
  maxFailuresPerClient: number;
  maxFailuresPerIp: number;
  windowSeconds: number;
}

/**
 * Slows down guessing of OAuth client secrets at /oauth/token, the way LoginLimiter slows
 * password guessing: per client id (one client's secret) and per IP (many clients). Every
 * authentication spends a point before the secret is compared, so concurrent guesses
 * cannot slip past the limit; a right secret gives its points back, so only failures
 * count and services renewing their tokens never run out. While a client id's budget is
 * used up even its right secret is refused (otherwise the guess that hits would still get
 * a token). Counters live in Redis, shared by every replica.
 */
export class ClientSecretLimiter {
  private readonly perClient: RateLimiterRedis;
  private readonly perIp: RateLimiterRedis;

  constructor(redis: Redis, keyPrefix: string, limits: ClientSecretLimits) {
    const { maxFailuresPerClient, maxFailuresPerIp, windowSeconds } = limits;
    this.perClient = redisBucket(
      redis,
      `${keyPrefix}oauth:client`,
      maxFailuresPerClient,
      windowSeconds,
    );
    this.perIp = redisBucket(redis, `${keyPrefix}oauth:ip`, maxFailuresPerIp, windowSeconds);
  }

  /**
   * Spends one attempt for the IP, then for the client id (when one was presented);
   * RATE_LIMITED (with retryAfterSeconds) when either budget is used up. A refused attempt
   * compares no secret, so it costs only the bucket that refused it: guesses from a
   * blocked address do not drain a client's budget, and a service retrying against its
   * blocked client id does not use up its own address's.
   */
  async attempt(clientId: string | undefined, ip: string): Promise<void> {
    await spend([this.perIp.consume(ip)], 'client_secret');
    if (!clientId) return;
    try {
      await spend([this.perClient.consume(clientKey(clientId))], 'client_secret');
    } catch (error) {
      await this.perIp.reward(ip, 1);
      throw error;
    }
  }

  /** The secret was right: the attempt does not count against the client or the IP. */
  async succeeded(clientId: string, ip: string): Promise<void> {
    await Promise.all([this.perClient.reward(clientKey(clientId), 1), this.perIp.reward(ip, 1)]);
  }
}

/** Client ids are short; an arbitrary long one presented by a guesser is stored hashed. */
function clientKey(clientId: string): string {
  return clientId.length <= 100
    ? clientId
    : `sha256:${createHash('sha256').update(clientId).digest('base64url')}`;
}
