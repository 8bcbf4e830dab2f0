import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { k8sRoot, type Manifest } from './kustomize';

/** Whether `kubectl` (with its built-in kustomize) is on the PATH. */
export function kubectlAvailable(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The overlays as the real kustomize renders them (`kubectl kustomize`): patches, name
 * suffixes, namespaces and common labels applied. The git-ignored secret files are stood
 * in for by their committed examples, in a copy of deploy/k8s, so nothing is written
 * next to the real ones.
 */
export function kubectlRender(overlays: string[]): Record<string, Manifest[]> {
  const copy = mkdtempSync(path.join(tmpdir(), 'shop-k8s-'));
  try {
    cpSync(k8sRoot, copy, { recursive: true });
    const base = path.join(copy, 'base');
    for (const example of readdirSync(base).filter((f) => f.endsWith('secret.example.env'))) {
      const target = path.join(base, example.replace('.example', ''));
      if (!existsSync(target)) copyFileSync(path.join(base, example), target);
    }
    const keys = path.join(base, 'jwt-private-keys.pem');
    // As deploy/test's renderer does: the key's place, not a key.
    if (!existsSync(keys)) writeFileSync(keys, '<contents of jwt-private-keys.pem>');
    return Object.fromEntries(
      overlays.map((overlay) => {
        const yaml = execFileSync('kubectl', ['kustomize', path.join(copy, overlay)], {
          encoding: 'utf8',
          maxBuffer: 32 * 1024 * 1024,
        });
        const manifests = parseAllDocuments(yaml)
          .map((doc) => doc.toJS() as Manifest | null)
          .filter((m): m is Manifest => m !== null);
        return [overlay, manifests];
      }),
    );
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
