// `{ me { id email } }` through the router versus straight to the users subgraph, with the
// same signed-in customer and data: what the router (token check, planning, one hop) costs.
//   npm run bench -- me
import { graphql } from '@shop/test-harness';
import { measure, record, type Figure, type RunOptions } from './harness';
import { startChild } from './processes/child';

interface UsersInfo {
  url: string;
  jwksUrl: string;
  issuer: string;
  audience: string;
}

export async function benchMe(options: RunOptions, command: string): Promise<string> {
  const users = await startChild<UsersInfo>('users.ts', {});
  const router = await startChild<{ url: string }>('router.ts', {
    JWKS_URL: users.info.jwksUrl,
    JWT_ISSUER: users.info.issuer,
    JWT_AUDIENCE: users.info.audience,
    USERS_SUBGRAPH_URL: users.info.url,
  }).catch(async (error: unknown) => {
    await users.stop();
    throw error;
  });
  try {
    const registered = await graphql<{ register: { accessToken: string } }>(
      router.info.url,
      'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }',
      {
        input: {
          email: `bench.${Date.now()}@shop.test`,
          password: 'bench password 123',
          name: 'Bench Customer',
        },
      },
    );
    const headers = { authorization: `Bearer ${registered.data!.register.accessToken}` };
    const body = JSON.stringify({ query: '{ me { id email } }' });
    const figures: Figure[] = [];
    for (const target of [
      { name: 'router → users', url: router.info.url, headers, body },
      { name: 'users subgraph directly', url: users.info.url, headers, body },
    ]) {
      const figure = await measure(target, options);
      if (figure.errors || figure.non2xx) {
        throw new Error(
          `${target.name}: ${figure.errors} errors, ${figure.non2xx} non-2xx responses`,
        );
      }
      figures.push(figure);
    }
    return record('me.md', 'Benchmark: { me { id email } }', command, options, figures);
  } finally {
    await router.stop();
    await users.stop();
  }
}
