import {
  createHash,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import jwt from 'jsonwebtoken';
import { Scope, type Role } from '@shop/auth';

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/**
 * The RSA keys that sign access tokens. The first key signs; every key is published in
 * the JWKS, so during a rotation tokens signed by the previous key stay verifiable until
 * they expire.
 */
export class KeySet {
  readonly publicKeys: Map<string, KeyObject>;

  constructor(readonly keys: SigningKey[]) {
    if (keys.length === 0) throw new Error('KeySet needs at least one signing key');
    this.publicKeys = new Map(keys.map((k) => [k.kid, k.publicKey]));
  }

  static fromPems(pems: string[]): KeySet {
    return new KeySet(pems.map(signingKeyFromPem));
  }

  get signing(): SigningKey {
    return this.keys[0] as SigningKey;
  }

  /** The document served at /.well-known/jwks.json. */
  jwks(): { keys: Record<string, unknown>[] } {
    return {
      keys: this.keys.map((k) => ({
        ...k.publicKey.export({ format: 'jwk' }),
        kid: k.kid,
        use: 'sig',
        alg: 'RS256',
      })),
    };
  }
}

/** Splits a config value holding several PEM private keys. */
export function splitPems(value: string): string[] {
  return (
    value.match(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g) ?? []
  );
}

export function signingKeyFromPem(pem: string): SigningKey {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'rsa') throw new Error('JWT signing keys must be RSA keys');
  const publicKey = createPublicKey(privateKey);
  return { kid: jwkThumbprint(publicKey), privateKey, publicKey };
}

/** RFC 7638 thumbprint: a stable `kid` derived from the key itself. */
function jwkThumbprint(publicKey: KeyObject): string {
  const { e, n } = publicKey.export({ format: 'jwk' });
  return createHash('sha256')
    .update(JSON.stringify({ e, kty: 'RSA', n }))
    .digest('base64url');
}

export interface TokenSettings {
  issuer: string;
  /** `aud` of user tokens, which the public router accepts. */
  audience: string;
  /** `aud` of service tokens, which only the subgraphs accept. */
  serviceAudience: string;
  accessTokenTtlSeconds: number;
}

/** Signs RS256 access tokens for users and for services (client credentials). */
export class AccessTokenSigner {
  constructor(
    private readonly keys: KeySet,
    private readonly settings: TokenSettings,
  ) {}

  get ttlSeconds(): number {
    return this.settings.accessTokenTtlSeconds;
  }

  forUser(userId: string, roles: Role[]): string {
    return this.sign({ roles, scope: Scope.SHOP }, userId, this.settings.audience);
  }

  /**
   * RFC 9068: service tokens carry `client_id`, equal to `sub`, and the service audience,
   * so they open the subgraphs' internal operations but not the public router.
   */
  forService(clientId: string, scopes: string[]): string {
    return this.sign(
      { roles: [], scope: scopes.join(' '), client_id: clientId },
      clientId,
      this.settings.serviceAudience,
    );
  }

  private sign(claims: Record<string, unknown>, subject: string, audience: string): string {
    const key = this.keys.signing;
    return jwt.sign(claims, key.privateKey, {
      algorithm: 'RS256',
      keyid: key.kid,
      subject,
      issuer: this.settings.issuer,
      audience,
      expiresIn: this.settings.accessTokenTtlSeconds,
      header: { alg: 'RS256', typ: 'at+jwt', kid: key.kid },
    });
  }
}

/** A fresh opaque refresh token: 256 random bits. Only its hash is ever stored. */
export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
