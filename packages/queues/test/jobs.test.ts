import { randomUUID } from 'node:crypto';
import {
  isJobName,
  JOB_NAMES,
  jobId,
  JobName,
  jobSchemas,
  jobPayload,
  QueueName,
  routes,
} from '../src';

const orderId = randomUUID();
const userId = randomUUID();

describe('job payload schemas', () => {
  it('accept the payloads producers send', () => {
    expect(
      jobPayload(JobName.ORDER_PAID, { orderId, userId, total: 3000, currency: 'EUR' }),
    ).toEqual({ orderId, userId, total: 3000, currency: 'EUR' });
    expect(
      jobPayload(JobName.ORDER_CANCELLED, {
        orderId,
        userId,
        total: 3000,
        currency: 'EUR',
        refunded: true,
        reason: 'customer',
      }).refunded,
    ).toBe(true);
    expect(
      jobPayload(JobName.ORDER_REFUNDED, { orderId, userId, amount: 100, currency: 'USD' }),
    ).toMatchObject({ amount: 100 });
    const expiresAt = new Date().toISOString();
    expect(jobPayload(JobName.ORDER_EXPIRE, { orderId, expiresAt })).toEqual({
      orderId,
      expiresAt,
    });
  });

  it.each([
    ['a float amount', { orderId, userId, total: 10.5, currency: 'EUR' }, 'total'],
    ['a negative amount', { orderId, userId, total: -1, currency: 'EUR' }, 'total'],
    ['a lower-case currency', { orderId, userId, total: 1, currency: 'eur' }, 'currency'],
    ['an id that is no UUID', { orderId: 'x', userId, total: 1, currency: 'EUR' }, 'orderId'],
    ['a missing field', { orderId, total: 1, currency: 'EUR' }, 'userId'],
  ])('refuse %s and name the field', (_what, data, field) => {
    const result = jobSchemas[JobName.ORDER_PAID].safeParse(data);
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path).toEqual([field]);
  });

  it('refuse an expiry without an ISO date', () => {
    expect(() => jobPayload(JobName.ORDER_EXPIRE, { orderId, expiresAt: 'soon' })).toThrow();
  });

  it('exist for every job name, and every job name has a route', () => {
    expect(Object.keys(jobSchemas).sort()).toEqual([...JOB_NAMES].sort());
    for (const name of JOB_NAMES) expect(routes[name].length).toBeGreaterThan(0);
    expect(routes[JobName.ORDER_PAID]).toEqual([QueueName.DELIVERY, QueueName.NOTIFICATIONS]);
    expect(isJobName('order.paid')).toBe(true);
    expect(isJobName('order.lost')).toBe(false);
  });
});

describe('jobId', () => {
  it('is derived from the business key only, so a repeat gives the same id', () => {
    const outboxId = randomUUID();
    expect(jobId(JobName.ORDER_PAID, outboxId)).toBe(`order.paid__${outboxId}`);
    expect(jobId(JobName.ORDER_PAID, outboxId)).toBe(jobId(JobName.ORDER_PAID, outboxId));
    expect(jobId(JobName.ORDER_EXPIRE, orderId)).not.toBe(jobId(JobName.ORDER_PAID, orderId));
  });

  it('never contains ":" and never looks like an integer (BullMQ refuses both)', () => {
    expect(jobId(JobName.ORDER_EXPIRE, '42')).toBe('order.expire__42');
    expect(() => jobId(JobName.ORDER_PAID, 'a:b')).toThrow(/must be 1-200/);
    expect(() => jobId(JobName.ORDER_PAID, '')).toThrow(/must be 1-200/);
    expect(() => jobId(JobName.ORDER_PAID, 'x'.repeat(201))).toThrow(/must be 1-200/);
  });
});
