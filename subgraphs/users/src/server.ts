import Redis from 'ioredis';
import { localKeys, subgraphTokenVerifier } from '@shop/auth';
import { createLogger, type Logger } from '@shop/logging';
import {
  Closers,
  type RunningSubgraph,
  schemaBeside,
  startBackgroundWork,
  startSubgraph,
} from '@shop/subgraph-kit';
import type { UsersConfig } from './config';
import { createLoaders, type Context } from './context';
import { ensureAdmin } from './services/admin';
import { startUsersJobs } from './jobs/start';
import { AuthService } from './services/auth-service';
import { ClientSecretLimiter } from './services/client-secret-limiter';
import { LoginLimiter } from './services/login-limiter';
import { AccessTokenSigner } from './domain/tokens';
import { loadSigningKeys } from './keys';
import { authMutations } from './resolvers/auth';
import { userResolvers } from './resolvers/user';
import { jwksRoute } from './routes/jwks';
import { oauthTokenRoute } from './routes/oauth';
import { createPrisma } from './store/prisma';
import { RefreshTokenStore } from './store/refresh-token';
import { UserStore } from './store/user';

export const typeDefs = schemaBeside(__dirname);

export interface UsersService extends RunningSubgraph {
  jwksUrl: string;
}

/** Wires the users subgraph: stores, token signing, resolvers and HTTP routes. */
export async function startUsersService(
  config: UsersConfig,
  logger: Logger = createLogger('users', config.LOG_LEVEL),
): Promise<UsersService> {
  const closers = new Closers(logger);
  return closers.closeOnFailure(async () => {
    const prisma = createPrisma(config.USERS_DATABASE_URL);
    closers.add('database', () => prisma.$disconnect());
    const redis = new Redis(config.REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 2 });
    closers.add('redis', () => redis.quit());
    const keys = loadSigningKeys(config, logger);
    const signer = new AccessTokenSigner(keys, {
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      serviceAudience: config.SERVICE_TOKEN_AUDIENCE,
      accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    });
    const users = new UserStore(prisma);
    const auth = new AuthService(
      users,
      new RefreshTokenStore(prisma),
      signer,
      new LoginLimiter(redis, config.REDIS_KEY_PREFIX, {
        maxPerEmail: config.LOGIN_MAX_ATTEMPTS_PER_EMAIL,
        maxPerIp: config.LOGIN_MAX_ATTEMPTS_PER_IP,
        windowSeconds: config.LOGIN_WINDOW_SECONDS,
        registrationsPerIpPerHour: config.REGISTRATIONS_PER_IP_PER_HOUR,
      }),
      config.REFRESH_TOKEN_TTL_DAYS,
    );

    await ensureAdmin(users, config.ADMIN_EMAIL, config.ADMIN_PASSWORD, logger);

    const resolvers = userResolvers(users);
    const running = await startSubgraph<Context>(
      {
        name: 'users',
        typeDefs,
        resolvers: { ...resolvers, Mutation: { ...resolvers.Mutation, ...authMutations(auth) } },
        // This service issues the tokens, so it verifies them with its own keys, no HTTP hop.
        verifier: subgraphTokenVerifier(
          config,
          localKeys(() => keys.publicKeys),
        ),
        logger,
        context: (base) => ({ ...base, loaders: createLoaders(users) }),
        routes: (app) => {
          jwksRoute(app, keys);
          oauthTokenRoute(
            app,
            config.OAUTH_CLIENTS,
            signer,
            new ClientSecretLimiter(redis, config.REDIS_KEY_PREFIX, {
              maxFailuresPerClient: config.OAUTH_MAX_FAILURES_PER_CLIENT,
              maxFailuresPerIp: config.OAUTH_MAX_FAILURES_PER_IP,
              windowSeconds: config.OAUTH_FAILURE_WINDOW_SECONDS,
            }),
            logger,
          );
        },
        ready: async () => {
          await prisma.$queryRaw`SELECT 1`;
          await redis.ping();
        },
      },
      config.USERS_PORT,
    );
    closers.add('http server', () => running.stop());

    // The relay finishes its batch before the database connection goes.
    startBackgroundWork(closers, {
      enabled: config.WORKERS_ENABLED,
      name: 'outbox relay',
      logger,
      start: () => startUsersJobs(config, prisma, logger),
    });

    return {
      ...running,
      jwksUrl: `http://127.0.0.1:${running.port}/.well-known/jwks.json`,
      stop: () => closers.close(),
    };
  });
}
