import { runtimeAdapter } from '@shop/prisma-kit';
import { PrismaClient } from '../generated/prisma/client';

export type { PrismaClient };

/** Session settings of every ledger connection: see createPrisma. */
const LEDGER_SESSION = '-c lock_timeout=5000 -c statement_timeout=10000';

/**
 * The stock ledger's client, over node-pg through Prisma's driver adapter. Each session
 * waits at most 5 s for a product row another reservation holds and runs no statement
 * longer than 10 s: a stalled writer makes others fail fast (and retryably), never hang.
 */
export function createPrisma(databaseUrl: string, poolSize: number): PrismaClient {
  const url = new URL(databaseUrl);
  if (!url.searchParams.has('options')) url.searchParams.set('options', LEDGER_SESSION);
  return new PrismaClient({
    adapter: runtimeAdapter(url.toString(), { max: poolSize, connectTimeoutMs: 5000 }),
  });
}
