// The users service with its own test database and key prefix, in a process of its own.
import { startUsersFixture } from '../../../subgraphs/users/test/support/users-service';
import { announce, stopOnSigterm } from './child';

void startUsersFixture().then((users) => {
  stopOnSigterm(users.stop);
  announce({
    url: users.service.url,
    jwksUrl: users.service.jwksUrl,
    issuer: users.config.JWT_ISSUER,
    audience: users.config.JWT_AUDIENCE,
  });
});
