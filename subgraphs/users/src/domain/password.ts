import argon2 from 'argon2';

// argon2id with the library's defaults (64 MiB, 3 passes), as OWASP recommends.
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/**
 * A real hash of a throw-away password, verified against when the e-mail is unknown, so a
 * login for a missing account costs the same time as a wrong password and the response
 * time does not reveal which accounts exist.
 */
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hashPassword('decoy-password-never-matches');
  return decoyHash;
}
