import type Redis from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from '@shop/errors';
import { counter } from '@shop/metrics';

/** What a refusal protected: a login, a sign-up, a client secret at /oauth/token. */
export type LimitedAction = 'login' | 'registration' | 'client_secret';

const refusals = counter({
  name: 'shop_users_rate_limit_refusals_total',
  help: 'Requests refused with RATE_LIMITED: logins (password guessing), sign-ups, client secrets at /oauth/token.',
  labelNames: ['action'] as const,
});

export interface LoginLimits {
  maxPerEmail: number;
  maxPerIp: number;
  windowSeconds: number;
  /** Sign-ups per IP per hour: each costs an argon2 hash, and bulk accounts are abuse. */
  registrationsPerIpPerHour: number;
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
  private readonly registrations: RateLimiterRedis;

  constructor(redis: Redis, keyPrefix: string, limits: LoginLimits) {
    this.perEmail = redisBucket(
      redis,
      `${keyPrefix}login:email`,
      limits.maxPerEmail,
      limits.windowSeconds,
    );
    this.perIp = redisBucket(redis, `${keyPrefix}login:ip`, limits.maxPerIp, limits.windowSeconds);
    this.registrations = redisBucket(
      redis,
      `${keyPrefix}register:ip`,
      limits.registrationsPerIpPerHour,
      3600,
    );
  }

  /** Spends one attempt for the e-mail and the IP; RATE_LIMITED when either is used up. */
  attempt(email: string, ip: string): Promise<void> {
    return spend([this.perEmail.consume(email), this.perIp.consume(ip)], 'login');
  }

  /** Spends one sign-up for the IP; RATE_LIMITED when the hour's allowance is used up. */
  registration(ip: string): Promise<void> {
    return spend([this.registrations.consume(ip)], 'registration');
  }

  async succeeded(email: string): Promise<void> {
    await this.perEmail.delete(email);
  }
}

/** `points` per key per `seconds`, counted in Redis so every replica shares the budget. */
export function redisBucket(
  redis: Redis,
  keyPrefix: string,
  points: number,
  seconds: number,
): RateLimiterRedis {
  return new RateLimiterRedis({ storeClient: redis, keyPrefix, points, duration: seconds });
}

/**
 * Spends from every bucket at once. rate-limiter-flexible rejects with a RateLimiterRes
 * when a bucket is empty: that becomes RATE_LIMITED with the seconds until it refills,
 * counted by `action` in shop_users_rate_limit_refusals_total.
 */
export async function spend(
  consumptions: Promise<unknown>[],
  action: LimitedAction,
): Promise<void> {
  try {
    await Promise.all(consumptions);
  } catch (error) {
    if (error instanceof RateLimiterRes) {
      refusals.inc({ action });
      throw new RateLimitedError(Math.max(1, Math.ceil(error.msBeforeNext / 1000)));
    }
    throw error;
  }
}
