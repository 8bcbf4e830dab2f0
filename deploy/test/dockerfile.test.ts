// deploy/docker/Dockerfile, read as text (no Docker here): the properties that compose and
// Kubernetes rely on.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './support/services';

const dockerfile = readFileSync(path.join(repoRoot, 'deploy/docker/Dockerfile'), 'utf8')
  // Continuation lines joined, so each instruction is one line.
  .replace(/\\\n/g, ' ');

/** The instructions of one stage, from its FROM to the next. */
function stage(name: string): string {
  const start = dockerfile.search(new RegExp(`^FROM\\s+\\S+\\s+AS\\s+${name}\\s*$`, 'im'));
  expect(start).toBeGreaterThanOrEqual(0);
  const rest = dockerfile.slice(start + 1);
  const next = rest.search(/^FROM\s/m);
  return next < 0 ? rest : rest.slice(0, next);
}

describe('deploy/docker/Dockerfile', () => {
  it('builds on Node 20 (bookworm-slim)', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
  });

  it('installs with npm ci and generates the workspace code', () => {
    expect(dockerfile).toMatch(/^RUN .*npm ci\b/m);
    expect(dockerfile).toMatch(/npm run generate --workspace "\$SERVICE" --if-present/);
  });

  it('ends with the runtime stage: non-root, /healthz health check, npm run start', () => {
    const stages = [...dockerfile.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((m) => m[1]);
    expect(stages[stages.length - 1]).toBe('runtime');
    const runtime = stage('runtime');
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*\/healthz/m);
    expect(runtime).toMatch(/^CMD .*npm run start --workspace \\"\$SERVICE\\"/m);
  });

  it('runs npm scripts through bash, so SIGTERM reaches the service and npm waits for it', () => {
    expect(stage('build')).toMatch(/NPM_CONFIG_SCRIPT_SHELL=\/bin\/bash/);
    expect(stage('runtime')).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
  });

  it.each(['migrate', 'seed'])(
    'has a one-shot %s stage that runs the npm script of its name once',
    (name) => {
      const oneShot = stage(name);
      expect(oneShot).toMatch(/^USER node$/m);
      expect(oneShot).toMatch(/^HEALTHCHECK NONE$/m);
      expect(oneShot).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
      expect(oneShot).toMatch(
        new RegExp(`^CMD .*npm run ${name} --workspace \\\\"\\$SERVICE\\\\"`, 'm'),
      );
    },
  );
});
