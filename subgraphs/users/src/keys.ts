import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '@shop/logging';
import { KeySet, splitPems } from './domain/tokens';
import type { UsersConfig } from './config';

/**
 * The signing keys: JWT_PRIVATE_KEYS when set (production requires it, see config.ts);
 * otherwise a development key, generated once into JWT_DEV_KEY_FILE (git-ignored) so
 * tokens survive restarts.
 */
export function loadSigningKeys(config: UsersConfig, log: Logger): KeySet {
  if (config.JWT_PRIVATE_KEYS) {
    const pems = splitPems(config.JWT_PRIVATE_KEYS);
    if (pems.length === 0) throw new Error('JWT_PRIVATE_KEYS holds no PEM private key');
    return KeySet.fromPems(pems);
  }
  const file = path.resolve(config.JWT_DEV_KEY_FILE);
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    log.warn(
      { file },
      'generated a development JWT signing key; set JWT_PRIVATE_KEYS in production',
    );
  }
  return KeySet.fromPems(splitPems(readFileSync(file, 'utf8')));
}
