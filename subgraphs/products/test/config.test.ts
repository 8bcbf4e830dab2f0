import { ConfigError } from '@shop/config';
import { loadProductsConfig, productsConfigSchema } from '../src/config';

describe('products config', () => {
  it('has documented defaults', () => {
    expect(loadProductsConfig({})).toMatchObject({
      NODE_ENV: 'development',
      PRODUCTS_PORT: 4002,
      MONGODB_URL: 'mongodb://127.0.0.1:27017',
      PRODUCTS_DB_NAME: 'catalog',
      MONGODB_MAX_POOL_SIZE: 10,
      JWKS_URL: 'http://127.0.0.1:4001/.well-known/jwks.json',
      JWT_ISSUER: 'http://localhost:4001',
      JWT_AUDIENCE: 'shop',
      STOCK_LOCK_LEASE_MS: 15000,
      STOCK_LOCK_WAIT_MS: 20000,
    });
  });

  it('accepts replica-set and SRV connection strings', () => {
    for (const url of [
      'mongodb://a:27017,b:27017/?replicaSet=rs0',
      'mongodb+srv://shop:secret@cluster0.example.net/?retryWrites=true',
    ]) {
      expect(loadProductsConfig({ MONGODB_URL: url }).MONGODB_URL).toBe(url);
    }
  });

  it('names every bad variable', () => {
    let error: unknown;
    try {
      loadProductsConfig({
        MONGODB_URL: 'postgres://x',
        PRODUCTS_PORT: 'abc',
        STOCK_LOCK_LEASE_MS: '5',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/MONGODB_URL/);
    expect(message).toMatch(/PRODUCTS_PORT/);
    expect(message).toMatch(/STOCK_LOCK_LEASE_MS/);
  });

  it('exports its schema for the deployment checks', () => {
    expect(Object.keys(productsConfigSchema.shape)).toContain('PRODUCTS_DB_NAME');
  });
});
