import type { Role } from '@shop/auth';
import { ConflictError, ShopError, ErrorCode, BadUserInputError } from '@shop/errors';
import type { Logger } from '@shop/logging';
import { checkPassword, normaliseEmail, normaliseName, normalisePhone } from '../domain/account';
import type { LoginLimiter } from './login-limiter';
import { decoyPasswordHash, hashPassword, verifyPassword } from '../domain/password';
import { hashRefreshToken, newRefreshToken, type AccessTokenSigner } from '../domain/tokens';
import { isUniqueViolation } from '../store/prisma';
import type { RefreshTokenStore } from '../store/refresh-token';
import type { UserRecord, UserStore } from '../store/user';

export interface AuthResult {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: UserRecord;
}

export interface RegisterInput {
  email: string;
  password: string;
  name: string;
  phone?: string | null;
}

/** The same message for an unknown e-mail and a wrong password: no account enumeration. */
export const INVALID_CREDENTIALS = 'The e-mail or password is incorrect.';
export const INVALID_REFRESH_TOKEN =
  'The refresh token is invalid, expired or already used. Sign in again.';

/** Sign-up, sign-in and the refresh-token life cycle. */
export class AuthService {
  constructor(
    private readonly users: UserStore,
    private readonly refreshTokens: RefreshTokenStore,
    private readonly signer: AccessTokenSigner,
    private readonly limiter: LoginLimiter,
    private readonly refreshTokenTtlDays: number,
  ) {}

  async register(input: RegisterInput, clientIp: string, log: Logger): Promise<AuthResult> {
    const email = normaliseEmail(input.email);
    checkPassword(input.password);
    const name = normaliseName(input.name);
    const phone = normalisePhone(input.phone);
    await this.limiter.registration(clientIp);
    let user: UserRecord;
    try {
      user = await this.users.register({
        email,
        name,
        phone,
        passwordHash: await hashPassword(input.password),
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError(
          'An account with this e-mail already exists. Sign in instead.',
          'email',
        );
      }
      throw error;
    }
    log.info({ userId: user.id }, 'user registered');
    return this.issueTokens(user);
  }

  async login(
    rawEmail: string,
    password: string,
    clientIp: string,
    log: Logger,
  ): Promise<AuthResult> {
    // A malformed e-mail cannot belong to an account: answer like any failed login.
    let email: string;
    try {
      email = normaliseEmail(rawEmail);
    } catch {
      email = rawEmail.trim().toLowerCase();
    }
    await this.limiter.attempt(email, clientIp);
    const user = await this.users.findByEmail(email);
    const valid = await verifyPassword(user?.passwordHash ?? (await decoyPasswordHash()), password);
    if (!user || !valid) {
      log.info({ clientIp }, 'login failed');
      throw new ShopError(ErrorCode.UNAUTHENTICATED, INVALID_CREDENTIALS);
    }
    await this.limiter.succeeded(email);
    return this.issueTokens(user);
  }

  async refresh(refreshToken: string, log: Logger): Promise<AuthResult> {
    const result = await this.refreshTokens.consume(hashRefreshToken(refreshToken));
    if (result.outcome === 'reused') {
      log.warn(
        { userId: result.userId },
        'spent refresh token presented again: token family revoked',
      );
    }
    if (result.outcome !== 'rotated')
      throw new ShopError(ErrorCode.UNAUTHENTICATED, INVALID_REFRESH_TOKEN);
    const [user] = await this.users.findByIds([result.userId]);
    if (!user) throw new ShopError(ErrorCode.UNAUTHENTICATED, INVALID_REFRESH_TOKEN);
    return this.issueTokens(user, result.familyId);
  }

  /** Revokes the token's family. Only the token's owner (or someone holding it) may. */
  async logout(refreshToken: string, userId: string | null): Promise<boolean> {
    const token = await this.refreshTokens.find(hashRefreshToken(refreshToken));
    if (!token || (userId !== null && token.userId !== userId)) {
      throw new BadUserInputError('This refresh token is not one of yours.', 'refreshToken');
    }
    await this.refreshTokens.revokeFamily(token.familyId);
    return true;
  }

  private async issueTokens(user: UserRecord, familyId?: string): Promise<AuthResult> {
    const refreshToken = newRefreshToken();
    const expiresAt = new Date(Date.now() + this.refreshTokenTtlDays * 86_400_000);
    await this.refreshTokens.issue(user.id, hashRefreshToken(refreshToken), expiresAt, familyId);
    return {
      accessToken: this.signer.forUser(user.id, user.roles as Role[]),
      refreshToken,
      expiresIn: this.signer.ttlSeconds,
      user,
    };
  }
}
