import { runtimeAdapter } from '@shop/prisma-kit';
import { PrismaClient } from '../generated/prisma/client';

export type { PrismaClient };

/** The delivery database client, over node-pg through Prisma's driver adapter (no Rust engine). */
export function createPrisma(databaseUrl: string, poolSize: number): PrismaClient {
  return new PrismaClient({ adapter: runtimeAdapter(databaseUrl, { max: poolSize }) });
}

/**
 * Prisma's error for a violated unique constraint: P2002 from a model query, P2010 with the
 * driver adapter's UniqueConstraintViolation from a raw one ($queryRaw).
 */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as {
    code?: string;
    meta?: { driverAdapterError?: { cause?: { kind?: string } } };
  } | null;
  return (
    e?.code === 'P2002' ||
    (e?.code === 'P2010' && e.meta?.driverAdapterError?.cause?.kind === 'UniqueConstraintViolation')
  );
}
