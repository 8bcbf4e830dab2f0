// The cart service with a Redis key prefix of its own, in a process of its own. Input: its
// environment (PRODUCTS_URL and whose tokens it trusts: JWKS_URL, JWT_ISSUER, JWT_AUDIENCE).
import { startCartFixture } from '@shop/cart/testing';
import { announce, childInput, stopOnSigterm } from './child';

void startCartFixture(childInput<Record<string, string>>()).then((cart) => {
  stopOnSigterm(cart.stop);
  announce({ url: cart.service.url });
});
