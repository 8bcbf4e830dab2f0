import { randomUUID } from 'node:crypto';
import type { RefreshToken } from '../generated/prisma/client';
import type { PrismaClient } from './prisma';

export type RotationResult =
  | { outcome: 'rotated'; userId: string; familyId: string }
  /** The token was already spent: its whole family has now been revoked. */
  | { outcome: 'reused'; userId: string }
  | { outcome: 'invalid' };

/**
 * Refresh tokens, stored as SHA-256 hashes and grouped in families (one per sign-in).
 * Rotation is a single conditional UPDATE, so two concurrent refreshes with the same token
 * cannot both succeed: the loser is treated as a reuse.
 */
export class RefreshTokenStore {
  constructor(private readonly db: PrismaClient) {}

  async issue(
    userId: string,
    tokenHash: string,
    expiresAt: Date,
    familyId: string = randomUUID(),
  ): Promise<void> {
    await this.db.refreshToken.create({ data: { userId, tokenHash, familyId, expiresAt } });
  }

  /** Marks the token used if it is live; a spent or revoked token revokes its family. */
  async consume(tokenHash: string, now: Date = new Date()): Promise<RotationResult> {
    const token = await this.db.refreshToken.findUnique({ where: { tokenHash } });
    if (!token) return { outcome: 'invalid' };
    if (token.expiresAt <= now && !token.usedAt && !token.revokedAt) return { outcome: 'invalid' };

    const { count } = await this.db.refreshToken.updateMany({
      where: { id: token.id, usedAt: null, revokedAt: null, expiresAt: { gt: now } },
      data: { usedAt: now },
    });
    if (count === 1) return { outcome: 'rotated', userId: token.userId, familyId: token.familyId };

    await this.revokeFamily(token.familyId, now);
    return { outcome: 'reused', userId: token.userId };
  }

  find(tokenHash: string): Promise<RefreshToken | null> {
    return this.db.refreshToken.findUnique({ where: { tokenHash } });
  }

  async revokeFamily(familyId: string, now: Date = new Date()): Promise<void> {
    await this.db.refreshToken.updateMany({
      where: { familyId, revokedAt: null },
      data: { revokedAt: now },
    });
  }
}
