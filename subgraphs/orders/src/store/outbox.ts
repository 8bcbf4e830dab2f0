import type { Db } from './order';

export interface OutboxRow {
  id: string;
  topic: string;
  payload: unknown;
  createdAt: Date;
}

/**
 * Claims up to `limit` unpublished rows, oldest first, locking them until the caller's
 * transaction ends. SKIP LOCKED makes a second relay (another replica) take the next rows
 * instead of waiting for, and then re-publishing, the same ones.
 */
export function claimUnpublished(db: Db, limit: number): Promise<OutboxRow[]> {
  return db.$queryRaw<OutboxRow[]>`
    SELECT id::text AS id, topic, payload, created_at AS "createdAt"
      FROM outbox
     WHERE published_at IS NULL
     ORDER BY created_at, id
     LIMIT ${limit}
       FOR UPDATE SKIP LOCKED`;
}

export async function markPublished(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.$executeRaw`UPDATE outbox SET published_at = now() WHERE id = ANY(${[...ids]}::uuid[])`;
}
