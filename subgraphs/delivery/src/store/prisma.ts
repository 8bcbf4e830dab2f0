import { runtimeAdapter } from '@shop/prisma-kit';
import { PrismaClient } from '../generated/prisma/client';

export type { PrismaClient };

/** The delivery database client, over node-pg through Prisma's driver adapter (no Rust engine). */
export function createPrisma(databaseUrl: string, poolSize: number): PrismaClient {
  return new PrismaClient({ adapter: runtimeAdapter(databaseUrl, { max: poolSize }) });
}

/**
 * A violated unique constraint: Prisma's P2002, or PostgreSQL's 23505 from node-pg (the
 * tracking writes, store/tracking-writes.ts).
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === 'P2002' || code === '23505';
}
