// The users service with its own test database and key prefix, in a process of its own.
// Input: further environment for its config (e.g. OAUTH_CLIENTS for the services that call it).
import { startUsersFixture } from '@shop/users/testing';
import { announce, childInput, stopOnSigterm } from './child';

const { env } = childInput<{ env?: Record<string, string> }>();
void startUsersFixture(env).then((users) => {
  stopOnSigterm(users.stop);
  announce({
    url: users.service.url,
    jwksUrl: users.service.jwksUrl,
    issuer: users.config.JWT_ISSUER,
    audience: users.config.JWT_AUDIENCE,
    // Benchmarks that need thousands of clients sign their tokens with this key.
    signingKeyFile: users.config.JWT_DEV_KEY_FILE,
  });
});
