import { readFileSync } from 'node:fs';
import { createLogger } from '@shop/logging';
import { loadRouterConfig } from '../../router/src/config';
import { startRouter } from '../../router/src/server';
import {
  startUsersFixture,
  type UsersFixture,
} from '../../subgraphs/users/test/support/users-service';

export interface Platform {
  /** The router's /graphql URL: what storefronts talk to. */
  url: string;
  users: UsersFixture;
  /** The PEM key the users service signs with, for crafting expired or mis-addressed tokens. */
  signingKeyPem: string;
  stop: () => Promise<void>;
}

/**
 * The whole graph in this process: every subgraph on an ephemeral port with databases and
 * keys of its own, and the router in front, routing to them.
 */
export async function startPlatform(): Promise<Platform> {
  const users = await startUsersFixture();
  const router = await startRouter(
    loadRouterConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      ROUTER_PORT: '0',
      JWKS_URL: users.service.jwksUrl,
      JWT_ISSUER: users.config.JWT_ISSUER,
      JWT_AUDIENCE: users.config.JWT_AUDIENCE,
      USERS_SUBGRAPH_URL: users.service.url,
    }),
    createLogger('router', 'silent'),
  );
  return {
    url: router.url,
    users,
    signingKeyPem: readFileSync(users.config.JWT_DEV_KEY_FILE, 'utf8'),
    stop: async () => {
      await router.stop();
      await users.stop();
    },
  };
}
