import { randomUUID } from 'node:crypto';
import type { Logger } from '@shop/logging';
import { JobName } from '@shop/queues';
import type { Mailer } from '../channels/email';
import type { SmsProvider } from '../channels/sms';
import type { NotificationRecord, NotificationStore } from '../store/notification';
import type { PreferencesStore } from '../store/preferences';
import type { OrdersDirectory, Recipient, UsersDirectory } from '../store/subgraphs';
import { claimDecision, DeliveryError, type DeliveryFailure } from '../domain/delivery';
import { planFor, type EventPlan, type NotificationJob } from '../domain/events';
import { channelsFor, type ChannelName } from '../domain/preferences';
import * as templates from '../domain/templates';
import type { RenderedMessage } from '../domain/templates';

/** Writes of an accepted message's SENT before the job gives up (200 + 400 ms between). */
const ACCEPTANCE_WRITES = 3;

/** The job being worked on: its id owns the messages it claims. */
export interface JobRun {
  id: string;
  /** No retry follows a failure of this run (BullMQ's attempts are used up). */
  lastAttempt: boolean;
}

export type ChannelOutcome =
  'sent' | 'already-sent' | 'already-failed' | 'busy' | 'retry' | DeliveryFailure;

export interface EventOutcome {
  eventKey: string | null;
  channels: Partial<Record<ChannelName, ChannelOutcome>>;
  /** The first temporary failure: the job must be retried. */
  retry: string | null;
  /** The first permanent failure: the job fails without retries. */
  rejected: string | null;
}

export interface NotificationServiceOptions {
  /** How long a claim belongs to the job that made it. */
  claimLeaseMs: number;
  now?: () => Date;
}

/**
 * Turns an event into the customer's messages and delivers each (event, channel) once:
 * claim (insert QUEUED; the unique index picks one winner), send, then mark SENT or FAILED.
 * Every attempt is recorded on the message.
 */
export class NotificationService {
  private readonly now: () => Date;

  constructor(
    private readonly notifications: NotificationStore,
    private readonly preferences: PreferencesStore,
    private readonly users: UsersDirectory,
    private readonly orders: OrdersDirectory,
    private readonly mailer: Mailer,
    private readonly sms: SmsProvider,
    private readonly log: Logger,
    private readonly options: NotificationServiceOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  async handle(job: NotificationJob, run: JobRun): Promise<EventOutcome> {
    const plan = planFor(job);
    const outcome: EventOutcome = { eventKey: null, channels: {}, retry: null, rejected: null };
    if (!plan) return outcome;
    outcome.eventKey = plan.eventKey;

    const recipient = await this.users.recipient(plan.userId);
    const prefs = await this.preferences.get(plan.userId);
    const channels = channelsFor(plan.preference, prefs, recipient.phone);
    if (channels.length === 0) return outcome;

    const existing = await this.notifications.findByEvent(plan.eventKey);
    const pending = channels.filter(
      (c) => !existing.some((n) => n.channel === c && (n.status === 'SENT' || n.permanent)),
    );
    for (const channel of channels) {
      if (!pending.includes(channel)) {
        const done = existing.find((n) => n.channel === channel)!;
        outcome.channels[channel] = done.status === 'SENT' ? 'already-sent' : 'already-failed';
      }
    }
    if (pending.length === 0) return outcome;

    // Rendered only when something is left to send: confirmations read the order first.
    const message = await this.render(job, plan, recipient);
    for (const channel of pending) {
      const result = await this.deliver(plan, channel, recipient, message, run);
      outcome.channels[channel] = result.outcome;
      if (result.outcome === 'retry') outcome.retry ??= result.error;
      if (result.outcome === 'rejected') outcome.rejected ??= result.error;
    }
    return outcome;
  }

  private async render(
    job: NotificationJob,
    plan: EventPlan,
    recipient: Recipient,
  ): Promise<RenderedMessage> {
    const who = recipient.name;
    switch (job.name) {
      case JobName.USER_REGISTERED:
        return templates.welcome({ name: who });
      case JobName.ORDER_PAID: {
        const { orderId } = job.data;
        const order = await this.orders.order(orderId);
        return templates.orderConfirmation({
          name: who,
          orderId,
          lines: order.lines,
          total: order.total,
        });
      }
      case JobName.ORDER_CANCELLED:
        return templates.orderCancelled({
          name: who,
          orderId: job.data.orderId,
          total: { amount: job.data.total, currency: job.data.currency },
          refunded: job.data.refunded,
          reason: job.data.reason,
        });
      case JobName.ORDER_REFUNDED:
        return templates.orderRefunded({
          name: who,
          orderId: job.data.orderId,
          amount: { amount: job.data.amount, currency: job.data.currency },
        });
      case JobName.SHIPMENT_UPDATED: {
        const shipment = {
          name: who,
          orderId: job.data.orderId,
          carrier: job.data.carrier,
          trackingNumber: job.data.trackingNumber,
        };
        // Which stage: planFor chose it from the status (only stages get a plan).
        if (plan.template === templates.TemplateName.SHIPMENT_SHIPPED) {
          return templates.shipmentShipped(shipment);
        }
        if (plan.template === templates.TemplateName.SHIPMENT_OUT_FOR_DELIVERY) {
          return templates.shipmentOutForDelivery(shipment);
        }
        return templates.shipmentDelivered(shipment);
      }
    }
  }

  private async deliver(
    plan: EventPlan,
    channel: ChannelName,
    recipient: Recipient,
    message: RenderedMessage,
    run: JobRun,
  ): Promise<{ outcome: ChannelOutcome; error: string | null }> {
    const email = channel === 'EMAIL';
    const leaseUntil = new Date(this.now().getTime() + this.options.claimLeaseMs);
    const claim = await this.notifications.claim({
      userId: plan.userId,
      channel,
      template: plan.template,
      to: email ? recipient.email : recipient.phone!,
      subject: email ? message.subject : null,
      body: email ? { text: message.text, html: message.html } : { text: message.sms, html: null },
      eventKey: plan.eventKey,
      ownerJobId: run.id,
      leaseUntil,
    });
    let record: NotificationRecord;
    if (claim.claimed) {
      record = claim.record;
    } else {
      const decision = claimDecision(claim.existing, run.id, this.now());
      if (decision === 'sent') return { outcome: 'already-sent', error: null };
      if (decision === 'failed') return { outcome: 'already-failed', error: null };
      if (decision === 'busy') return { outcome: 'busy', error: null };
      if (!(await this.notifications.takeOver(claim.existing, run.id, leaseUntil))) {
        return { outcome: 'busy', error: null };
      }
      // Resent as first rendered: the customer gets the message the event first produced.
      record = claim.existing;
    }

    const log = this.log.child({ notificationId: record.id, eventKey: plan.eventKey, channel });
    // Marked before the hand-over, so that a worker that stops before recording the outcome
    // leaves a trace the next attempt finds (`sending`), and every attempt at this message
    // carries one Message-ID, derived from its id.
    const attemptId = randomUUID();
    const inDoubt = record.sending ?? null;
    // The one an earlier attempt recorded, if any (it may have arrived with it).
    const messageId = email ? (record.messageId ?? this.mailer.messageIdFor(record.id)) : null;
    if (inDoubt) {
      log.warn(
        { attemptId: inDoubt.attemptId, since: inDoubt.at, messageId },
        'an earlier attempt stopped before its outcome was recorded: sending again, the ' +
          'recipient may get two copies (same Message-ID)',
      );
    }
    const attempt = { attemptId, at: this.now() };
    if (!(await this.notifications.markSending(record.id, attempt, messageId, inDoubt))) {
      return { outcome: 'already-sent', error: null };
    }
    let providerMessageId: string | null;
    try {
      ({ messageId: providerMessageId } = email
        ? await this.mailer.send({
            to: record.to,
            subject: record.subject ?? message.subject,
            text: record.body.text,
            html: record.body.html ?? message.html,
            messageId: messageId!,
          })
        : await this.sms.send({ to: record.to, body: record.body.text }));
    } catch (error) {
      const failure: DeliveryFailure = error instanceof DeliveryError ? error.failure : 'temporary';
      const reason = (error as Error).message;
      const permanent = failure !== 'temporary';
      await this.notifications.markFailed(
        record.id,
        this.now(),
        reason,
        { status: permanent || run.lastAttempt ? 'FAILED' : 'QUEUED', permanent },
        attemptId,
      );
      log.warn({ failure, reason }, 'notification not delivered');
      if (failure === 'temporary') return { outcome: 'retry', error: reason };
      return { outcome: failure, error: reason };
    }
    // Accepted: recorded at once, and apart from the failure path above, so that a store
    // hiccup now is never taken for a failed delivery (which would send it again).
    await this.recordAccepted(record.id, providerMessageId, attemptId, log);
    log.info({ template: plan.template, messageId }, 'notification sent');
    return { outcome: 'sent', error: null };
  }

  /**
   * Marks a message the server accepted SENT, trying the store a few times within a second:
   * until this write lands, a retry of the job would send the message again.
   */
  private async recordAccepted(
    id: string,
    providerMessageId: string | null,
    attemptId: string,
    log: Logger,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.notifications.markSent(id, this.now(), providerMessageId, attemptId);
        return;
      } catch (err) {
        if (attempt === ACCEPTANCE_WRITES) {
          log.error(
            { err, providerMessageId },
            'message accepted but not recorded SENT; the retry will send it again',
          );
          throw err;
        }
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
  }
}
