import { runtimeAdapter } from '@shop/prisma-kit';
import { PrismaClient } from '../generated/prisma/client';

export type { PrismaClient };

/** The orders database client, over node-pg through Prisma's driver adapter (no Rust engine). */
export function createPrisma(
  databaseUrl: string,
  poolSize: number,
  connectTimeoutMs: number,
): PrismaClient {
  return new PrismaClient({
    adapter: runtimeAdapter(databaseUrl, { max: poolSize, connectTimeoutMs }),
  });
}

/** Prisma's error for a violated unique constraint. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === 'P2002';
}
