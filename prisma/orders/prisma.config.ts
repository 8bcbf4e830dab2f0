// Prisma CLI config for the orders database. Migrate runs on the WASM schema engine through
// the pg driver adapter, so no native engine is downloaded (see docs/adr/0002-prisma-offline.md).
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { migrateAdapter } from '@shop/prisma-kit';

const databaseUrl = process.env.ORDERS_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/orders';
process.env.ORDERS_DATABASE_URL = databaseUrl;

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join(__dirname, 'schema.prisma'),
  migrations: { path: path.join(__dirname, 'migrations') },
  adapter: async () => migrateAdapter(databaseUrl),
});
