import { JobName, type DeliveryStatus, type ShopJob } from '@shop/queues';
import type { PreferenceKind } from './preferences';
import { TemplateName } from './templates';

/**
 * The stages of a shipment that a customer hears about. PICKED_UP and IN_TRANSIT are both
 * "shipped" (told once per shipment); the other statuses are not worth a message.
 */
export function shipmentStage(status: DeliveryStatus): TemplateName | null {
  switch (status) {
    case 'PICKED_UP':
    case 'IN_TRANSIT':
      return TemplateName.SHIPMENT_SHIPPED;
    case 'OUT_FOR_DELIVERY':
      return TemplateName.SHIPMENT_OUT_FOR_DELIVERY;
    case 'DELIVERED':
      return TemplateName.SHIPMENT_DELIVERED;
    default:
      return null;
  }
}

export interface EventPlan {
  userId: string;
  template: TemplateName;
  /** Whose channel choices apply; null: the welcome e-mail, always sent by e-mail. */
  preference: PreferenceKind | null;
  /**
   * The business key that makes the message unique: with the channel, it is the unique
   * index that keeps every message to one delivery, however often the event arrives.
   */
  eventKey: string;
}

export type NotificationJobName =
  | typeof JobName.USER_REGISTERED
  | typeof JobName.ORDER_PAID
  | typeof JobName.ORDER_CANCELLED
  | typeof JobName.ORDER_REFUNDED
  | typeof JobName.SHIPMENT_UPDATED;

/** A job of the notifications queue, its payload typed by its name. */
export type NotificationJob = ShopJob<NotificationJobName>;

export const NOTIFICATION_JOBS: readonly NotificationJobName[] = [
  JobName.USER_REGISTERED,
  JobName.ORDER_PAID,
  JobName.ORDER_CANCELLED,
  JobName.ORDER_REFUNDED,
  JobName.SHIPMENT_UPDATED,
];

/**
 * Which message an event becomes, or null when the customer is not told (a shipment
 * status that is no stage of its own). Keys are per business object, not per job: an
 * order is confirmed once even if `order.paid` were published twice under two job ids.
 */
export function planFor(job: NotificationJob): EventPlan | null {
  switch (job.name) {
    case JobName.USER_REGISTERED:
      return {
        userId: job.data.userId,
        template: TemplateName.WELCOME,
        preference: null,
        eventKey: `user.registered:${job.data.userId}`,
      };
    case JobName.ORDER_PAID:
      return {
        userId: job.data.userId,
        template: TemplateName.ORDER_CONFIRMATION,
        preference: 'orderConfirmation',
        eventKey: `order.paid:${job.data.orderId}`,
      };
    case JobName.ORDER_CANCELLED:
      return {
        userId: job.data.userId,
        template: TemplateName.ORDER_CANCELLED,
        preference: 'orderCancelled',
        eventKey: `order.cancelled:${job.data.orderId}`,
      };
    case JobName.ORDER_REFUNDED:
      return {
        userId: job.data.userId,
        template: TemplateName.ORDER_REFUNDED,
        preference: 'orderRefunded',
        eventKey: `order.refunded:${job.data.orderId}`,
      };
    case JobName.SHIPMENT_UPDATED: {
      const stage = shipmentStage(job.data.status);
      if (!stage) return null;
      return {
        userId: job.data.userId,
        template: stage,
        preference: 'shipping',
        eventKey: `${stage}:${job.data.shipmentId}`,
      };
    }
  }
}
