import type Redis from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from '@shop/errors';

export interface LoginLimits {
  maxPerEmail: number;
  maxPerIp: number;
  windowSeconds: number;
}

/**
 * Caps login attempts per e-mail (guessing one account's password) and per IP (trying
 * many accounts). Every attempt spends a point before the password is checked, so
 * concurrent guesses cannot slip past the limit; a successful login clears the e-mail's
 * counter. Counters live in Redis, shared by every replica.
 */
export class LoginLimiter {
  private readonly perEmail: RateLimiterRedis;
  private readonly perIp: RateLimiterRedis;

  constructor(redis: Redis, keyPrefix: string, limits: LoginLimits) {
    this.perEmail = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${keyPrefix}login:email`,
      points: limits.maxPerEmail,
      duration: limits.windowSeconds,
    });
    this.perIp = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${keyPrefix}login:ip`,
      points: limits.maxPerIp,
      duration: limits.windowSeconds,
    });
  }

  /** Spends one attempt for the e-mail and the IP; RATE_LIMITED when either is used up. */
  async attempt(email: string, ip: string): Promise<void> {
    try {
      await Promise.all([this.perEmail.consume(email), this.perIp.consume(ip)]);
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        throw new RateLimitedError(Math.max(1, Math.ceil(error.msBeforeNext / 1000)));
      }
      throw error;
    }
  }

  async succeeded(email: string): Promise<void> {
    await this.perEmail.delete(email);
  }
}
