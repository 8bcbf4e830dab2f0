import path from 'node:path';
import { ConfigError } from '@shop/config';
import { loadRouterConfig } from '../src/config';

function configError(environment: Record<string, string>): ConfigError {
  try {
    loadRouterConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('router configuration', () => {
  it('has working defaults for local development', () => {
    const config = loadRouterConfig({});

    expect(config).toMatchObject({
      NODE_ENV: 'development',
      ROUTER_PORT: 4000,
      SUPERGRAPH_PATH: path.resolve(__dirname, '../../schema/supergraph.graphql'),
      JWKS_URL: 'http://127.0.0.1:4001/.well-known/jwks.json',
      JWT_ISSUER: 'http://localhost:4001',
      JWT_AUDIENCE: 'shop',
      CORS_ORIGINS: ['http://localhost:3000', 'http://localhost:5173'],
      SANDBOX_ENABLED: true,
      MAX_QUERY_DEPTH: 12,
      MAX_ALIASES: 30,
      MAX_QUERY_COST: 3000,
      QUERY_COST_LIST_SIZE: 10,
      MAX_BODY_BYTES: 1024 * 1024,
      TRUST_PROXY: 'loopback',
      subgraphUrls: {},
    });
  });

  it('allows no browser origin and no Sandbox in production unless told to', () => {
    expect(loadRouterConfig({ NODE_ENV: 'production' })).toMatchObject({
      CORS_ORIGINS: [],
      SANDBOX_ENABLED: false,
    });
    expect(
      loadRouterConfig({
        NODE_ENV: 'production',
        CORS_ORIGINS: 'https://shop.example.com, https://admin.shop.example.com',
        SANDBOX_ENABLED: 'true',
      }),
    ).toMatchObject({
      CORS_ORIGINS: ['https://shop.example.com', 'https://admin.shop.example.com'],
      SANDBOX_ENABLED: true,
    });
  });

  it('reads <NAME>_SUBGRAPH_URL overrides for the subgraphs in schema/subgraphs.json', () => {
    const config = loadRouterConfig({ USERS_SUBGRAPH_URL: 'http://users:4001/graphql' });
    expect(config.subgraphUrls).toEqual({ users: 'http://users:4001/graphql' });
  });

  it('accepts ROUTER_PORT=0 for a free port', () => {
    expect(loadRouterConfig({ ROUTER_PORT: '0' }).ROUTER_PORT).toBe(0);
  });

  it('names every invalid variable at once', () => {
    const error = configError({
      ROUTER_PORT: 'abc',
      JWKS_URL: 'users:4001/jwks',
      CORS_ORIGINS: 'https://shop.example.com/',
      SANDBOX_ENABLED: 'maybe',
      MAX_QUERY_DEPTH: '0',
      MAX_QUERY_COST: 'lots',
      QUERY_COST_LIST_SIZE: '0',
      USERS_SUBGRAPH_URL: 'users:4001',
    });

    expect(error.problems).toHaveLength(8);
    expect(error.message).toContain('ROUTER_PORT="abc" is invalid');
    for (const name of [
      'JWKS_URL',
      'CORS_ORIGINS',
      'SANDBOX_ENABLED',
      'MAX_QUERY_DEPTH',
      'MAX_QUERY_COST',
      'QUERY_COST_LIST_SIZE',
      'USERS_SUBGRAPH_URL',
    ]) {
      expect(error.message).toContain(`${name}=`);
    }
  });
});

describe('subscription configuration', () => {
  it('serves subscriptions by default, with documented limits', () => {
    expect(loadRouterConfig({})).toMatchObject({
      SUBSCRIPTIONS_ENABLED: true,
      SUBSCRIPTION_KEEPALIVE_MS: 12_000,
      SUBSCRIPTION_MAX_BUFFERED_BYTES: 1024 * 1024,
      SUBSCRIPTIONS_PER_CONNECTION: 20,
      SUBSCRIPTION_UPSTREAM_SOCKETS: 2,
      SUBSCRIPTION_COMPLETION_CONCURRENCY: 32,
    });
  });

  it('reads the subscription variables', () => {
    expect(
      loadRouterConfig({
        SUBSCRIPTIONS_ENABLED: 'false',
        SUBSCRIPTION_KEEPALIVE_MS: '30000',
        SUBSCRIPTION_MAX_BUFFERED_BYTES: '262144',
        SUBSCRIPTIONS_PER_CONNECTION: '5',
        SUBSCRIPTION_UPSTREAM_SOCKETS: '4',
        SUBSCRIPTION_COMPLETION_CONCURRENCY: '64',
      }),
    ).toMatchObject({
      SUBSCRIPTIONS_ENABLED: false,
      SUBSCRIPTION_KEEPALIVE_MS: 30_000,
      SUBSCRIPTION_MAX_BUFFERED_BYTES: 262_144,
      SUBSCRIPTIONS_PER_CONNECTION: 5,
      SUBSCRIPTION_UPSTREAM_SOCKETS: 4,
      SUBSCRIPTION_COMPLETION_CONCURRENCY: 64,
    });
  });

  it('names each invalid subscription variable', () => {
    const error = configError({
      SUBSCRIPTIONS_ENABLED: 'sometimes',
      SUBSCRIPTION_KEEPALIVE_MS: '10',
      SUBSCRIPTION_MAX_BUFFERED_BYTES: 'lots',
      SUBSCRIPTIONS_PER_CONNECTION: '0',
    });

    expect(error.problems).toHaveLength(4);
    for (const name of [
      'SUBSCRIPTIONS_ENABLED',
      'SUBSCRIPTION_KEEPALIVE_MS',
      'SUBSCRIPTION_MAX_BUFFERED_BYTES',
      'SUBSCRIPTIONS_PER_CONNECTION',
    ]) {
      expect(error.message).toContain(`${name}=`);
    }
  });
});
