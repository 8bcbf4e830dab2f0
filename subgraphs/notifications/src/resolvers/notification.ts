import { requireUser } from '@shop/auth';
import { decodeKeysetCursor, keysetKey, pageSize, toConnection } from '@shop/subgraph-kit';
import type { Resolvers } from '../generated/graphql';
import { isNotificationId, type NotificationStore } from '../store/notification';

export function notificationResolvers(notifications: NotificationStore): Resolvers {
  return {
    Query: {
      myNotifications: async (_parent, { first, after }, ctx) => {
        const me = requireUser(ctx.identity);
        const limit = pageSize(first);
        const rows = await notifications.listForUser(
          me.userId,
          limit,
          decodeKeysetCursor(after, isNotificationId),
        );
        return toConnection(rows, limit, () => notifications.countForUser(me.userId), keysetKey);
      },
    },
    Notification: {
      createdAt: (n) => n.createdAt.toISOString(),
      sentAt: (n) => n.sentAt?.toISOString() ?? null,
    },
  };
}
