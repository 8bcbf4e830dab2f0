import {
  ConfigError,
  env,
  loadConfig,
  SERVICE_TOKEN_AUDIENCE,
  settings,
  USER_TOKEN_AUDIENCE,
  z,
} from '../src';

const schema = z.object({
  PORT: env.port(4000),
  DATABASE_URL: env.url(['postgres']),
  API_SECRET: z.string().min(16),
  FEATURE: env.bool(false),
  ORIGINS: env.list(),
});

describe('loadConfig', () => {
  it('applies defaults and converts types', () => {
    expect(
      loadConfig('svc', schema, {
        DATABASE_URL: 'postgres://db/x',
        API_SECRET: 'x'.repeat(16),
        FEATURE: 'yes',
        ORIGINS: 'a, b,',
      }),
    ).toEqual({
      PORT: 4000,
      DATABASE_URL: 'postgres://db/x',
      API_SECRET: 'x'.repeat(16),
      FEATURE: true,
      ORIGINS: ['a', 'b'],
    });
  });

  it('names every wrong variable at once and never prints a secret', () => {
    let error: unknown;
    try {
      loadConfig('svc', schema, {
        PORT: 'abc',
        DATABASE_URL: 'mysql://db/x',
        API_SECRET: 'short-secret',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/^svc: invalid configuration/);
    expect(message).toMatch(/PORT="abc" is invalid/);
    expect(message).toMatch(
      /DATABASE_URL="mysql:\/\/db\/x" is invalid: must be a URL starting with postgres:\/\//,
    );
    expect(message).toMatch(/API_SECRET="\*\*\*" is invalid/);
    expect(message).not.toContain('short-secret');
  });

  it('says which required variable is missing', () => {
    expect(() => loadConfig('svc', schema, { API_SECRET: 'x'.repeat(16) })).toThrow(
      /DATABASE_URL is required/,
    );
  });
});

describe('settings.tokenTrust', () => {
  const trust = z.object(settings.tokenTrust());

  it('gives user and service tokens distinct default audiences', () => {
    const config = loadConfig('svc', trust, {});
    expect(config.JWT_AUDIENCE).toBe(USER_TOKEN_AUDIENCE);
    expect(config.SERVICE_TOKEN_AUDIENCE).toBe(SERVICE_TOKEN_AUDIENCE);
    expect(SERVICE_TOKEN_AUDIENCE).not.toBe(USER_TOKEN_AUDIENCE);
  });

  it('reads SERVICE_TOKEN_AUDIENCE from the environment', () => {
    const config = loadConfig('svc', trust, { SERVICE_TOKEN_AUDIENCE: 'internal.shop.example' });
    expect(config.SERVICE_TOKEN_AUDIENCE).toBe('internal.shop.example');
  });
});
