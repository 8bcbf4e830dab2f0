// The notifications service (subgraph and worker) in a process of its own, for specs that
// need it apart from the others (tracing: each process is one service in the trace).
// Input: its neighbours, as startNotificationsFixture takes them.
import { announce, childInput, stopOnSigterm } from '../../../bench/src/processes/child';
import {
  startNotificationsFixture,
  type NotificationsNeighbours,
} from '@shop/notifications/testing';

const { neighbours } = childInput<{ neighbours: NotificationsNeighbours }>();
void startNotificationsFixture(neighbours).then((notifications) => {
  stopOnSigterm(notifications.stop);
  announce({ url: notifications.service.url });
});
