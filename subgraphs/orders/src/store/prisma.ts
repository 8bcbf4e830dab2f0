import { PrismaPg } from '@prisma/adapter-pg';
import { runtimePool } from '@shop/prisma-kit';
import type pg from 'pg';
import { PrismaClient } from '../generated/prisma/client';

export type { PrismaClient };

/**
 * The service's database: a Prisma client and its pool, shared with the store's plain SQL
 * reads (OrderStore.findByIds). `close` disconnects the client, then ends the pool.
 */
export function createOrdersDatabase(
  databaseUrl: string,
  poolSize: number,
  connectTimeoutMs: number,
): { prisma: PrismaClient; sql: pg.Pool; close: () => Promise<void> } {
  const sql = runtimePool(databaseUrl, { max: poolSize, connectTimeoutMs });
  const prisma = new PrismaClient({ adapter: new PrismaPg(sql) });
  return {
    prisma,
    sql,
    close: async () => {
      await prisma.$disconnect();
      await sql.end();
    },
  };
}

/** Prisma's error for a violated unique constraint. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === 'P2002';
}
