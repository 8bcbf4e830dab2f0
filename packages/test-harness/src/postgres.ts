import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
export const REPO_ROOT = path.resolve(__dirname, '../../..');
const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function databaseUrl(database: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A hash of the schema's migrations: a new migration means a new template. */
function migrationsHash(schema: string): string {
  const dir = path.join(REPO_ROOT, 'prisma', schema, 'migrations');
  const hash = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const file = path.join(d, name);
      if (statSync(file).isDirectory()) walk(file);
      else hash.update(name).update(readFileSync(file));
    }
  };
  walk(dir);
  return hash.digest('hex').slice(0, 12);
}

/** Runs the real `prisma migrate deploy` for one schema against a database. */
export async function migrateDeploy(schema: string, url: string): Promise<string> {
  const { stdout } = await run(
    path.join(REPO_ROOT, 'node_modules/.bin/prisma'),
    ['migrate', 'deploy', '--config', path.join(REPO_ROOT, 'prisma', schema, 'prisma.config.ts')],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        [`${schema.toUpperCase()}_DATABASE_URL`]: url,
        CHECKPOINT_DISABLE: '1',
        PRISMA_CLIENT_ENGINE_TYPE: 'client',
      },
    },
  );
  return stdout;
}

/**
 * A migrated template database per schema and migrations hash, built once (Prisma Migrate
 * costs ~12 s) and then copied for each test file in well under a second. An advisory lock
 * makes concurrent test processes wait for the one that builds it.
 */
async function ensureTemplate(schema: string): Promise<string> {
  const template = `tpl_${schema}_${migrationsHash(schema)}`;
  await withAdmin(async (admin) => {
    await admin.query('SELECT pg_advisory_lock(hashtext($1))', [template]);
    try {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (exists.rowCount) return;
      const building = `${template}_building`;
      await admin.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
      await admin.query(`CREATE DATABASE "${building}"`);
      await migrateDeploy(schema, databaseUrl(building));
      await admin.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`);
    } finally {
      await admin.query('SELECT pg_advisory_unlock(hashtext($1))', [template]);
    }
  });
  return template;
}

export interface TestDatabase {
  name: string;
  url: string;
  drop: () => Promise<void>;
}

/** Creates a uniquely named database, as a copy of `template` when one is given. */
async function createDatabase(prefix: string, template?: string): Promise<TestDatabase> {
  const name = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const from = template ? ` TEMPLATE "${template}"` : '';
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}"${from}`));
  return {
    name,
    url: databaseUrl(name),
    drop: async () => {
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

/** A fresh, migrated database of the schema for one test file. Drop it in afterAll. */
export async function createTestDatabase(schema: string): Promise<TestDatabase> {
  return createDatabase(`test_${schema}`, await ensureTemplate(schema));
}

/** A brand-new empty database (no template), for tests of migrations themselves. */
export function createEmptyDatabase(prefix: string): Promise<TestDatabase> {
  return createDatabase(prefix);
}

/** Runs one query against a test database (for assertions on what was written). */
export async function queryDatabase<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

export interface MigratedSchema {
  /** Tables of the public schema, sorted by name. */
  tables: string[];
  /** Every index definition of the public schema, one per line. */
  indexes: string;
  /** True when every row of _prisma_migrations has finished. */
  allFinished: boolean;
}

/**
 * Runs the real `prisma migrate deploy` of a schema into a brand-new empty database and
 * reads back what it created; the database is dropped afterwards.
 */
export async function migrateFreshDatabase(schema: string): Promise<MigratedSchema> {
  const db = await createEmptyDatabase(`migrate_${schema}`);
  try {
    await migrateDeploy(schema, db.url);
    const tables = await queryDatabase<{ table_name: string }>(
      db.url,
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    const indexes = await queryDatabase<{ indexdef: string }>(
      db.url,
      "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'",
    );
    const migrations = await queryDatabase<{ finished: boolean }>(
      db.url,
      'SELECT finished_at IS NOT NULL AS finished FROM _prisma_migrations',
    );
    return {
      tables: tables.map((t) => t.table_name),
      indexes: indexes.map((i) => i.indexdef).join('\n'),
      allFinished: migrations.length > 0 && migrations.every((m) => m.finished),
    };
  } finally {
    await db.drop();
  }
}
