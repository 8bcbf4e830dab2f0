// The orders service with a database and BullMQ prefix of its own, paying through
// stripe-mock, in a process of its own. Input: where its neighbours are, and further
// environment for its config. Announces its database so the caller can count what it wrote.
import { startOrdersFixture, type OrdersNeighbours } from '@shop/orders/testing';
import { announce, childInput, stopOnSigterm } from './child';

const { neighbours, env } = childInput<{
  neighbours: OrdersNeighbours;
  env?: Record<string, string>;
}>();
void startOrdersFixture(neighbours, env).then((orders) => {
  stopOnSigterm(orders.stop);
  announce({
    url: orders.service.url,
    databaseUrl: orders.db.url,
  });
});
