import { JobName } from '@shop/queues';
import {
  claimDecision,
  classifyHttpStatus,
  classifySmtpError,
  type ClaimState,
} from '../src/domain/delivery';
import { planFor, shipmentStage } from '../src/domain/events';
import {
  applyPreferencesUpdate,
  channelsFor,
  defaultPreferences,
  effectivePreferences,
} from '../src/domain/preferences';

const userId = '11111111-1111-4111-8111-111111111111';
const orderId = '22222222-2222-4222-8222-222222222222';

describe('preferences', () => {
  it('never turn a transactional e-mail off, even from stored data', () => {
    const prefs = effectivePreferences({ orderConfirmation: { email: false, sms: true } });
    expect(prefs.orderConfirmation).toEqual({ email: true, sms: true });
    expect(channelsFor('orderConfirmation', prefs, null)).toEqual(['EMAIL']);
    expect(channelsFor('orderConfirmation', prefs, '+4915100000000')).toEqual(['EMAIL', 'SMS']);
  });

  it('let shipping e-mail be switched off and keep the welcome e-mail on', () => {
    const prefs = applyPreferencesUpdate(defaultPreferences(), { shipping: { email: false } });
    expect(channelsFor('shipping', prefs, '+4915100000000')).toEqual([]);
    expect(channelsFor(null, prefs, '+4915100000000')).toEqual(['EMAIL']);
  });

  it('name the field of a refused change', () => {
    expect(() =>
      applyPreferencesUpdate(defaultPreferences(), { orderRefunded: { email: false } }),
    ).toThrow(
      expect.objectContaining({
        extensions: expect.objectContaining({ field: 'input.orderRefunded.email' }),
      }),
    );
  });
});

describe('failure classes', () => {
  it.each([
    [{ code: 'EENVELOPE', responseCode: 550, permanent: true }, 'rejected'],
    [{ code: 'EENVELOPE', responseCode: 553 }, 'rejected'],
    [{ code: 'EMESSAGE', responseCode: 452 }, 'temporary'],
    [{ code: 'EPROTOCOL', responseCode: 503 }, 'temporary'],
    [{ code: 'ESOCKET' }, 'temporary'],
    [{ code: 'ETIMEDOUT' }, 'temporary'],
    [{ code: 'EAUTH', responseCode: 535 }, 'temporary'],
  ])('SMTP %j is %s', (error, expected) => {
    expect(classifySmtpError(error)).toBe(expected);
  });

  it.each([
    [201, null],
    [400, 'rejected'],
    [404, 'rejected'],
    [401, 'temporary'],
    [429, 'temporary'],
    [500, 'temporary'],
    [503, 'temporary'],
  ])('HTTP %i is %s', (status, expected) => {
    expect(classifyHttpStatus(status)).toBe(expected);
  });
});

describe('claims', () => {
  const now = new Date('2026-11-25T12:00:00Z');
  const state = (overrides: Partial<ClaimState> = {}): ClaimState => ({
    status: 'QUEUED',
    permanent: false,
    ownerJobId: 'job-a',
    leaseUntil: new Date(now.getTime() + 60_000),
    ...overrides,
  });

  it('leave sent and refused messages alone', () => {
    expect(claimDecision(state({ status: 'SENT' }), 'job-a', now)).toBe('sent');
    expect(claimDecision(state({ status: 'FAILED', permanent: true }), 'job-a', now)).toBe(
      'failed',
    );
  });

  it('let the owner retry, and others only once its lease is over', () => {
    expect(claimDecision(state(), 'job-a', now)).toBe('take');
    expect(claimDecision(state(), 'job-b', now)).toBe('busy');
    expect(claimDecision(state({ status: 'FAILED' }), 'job-b', now)).toBe('busy');
    const stale = state({ leaseUntil: new Date(now.getTime() - 1) });
    expect(claimDecision(stale, 'job-b', now)).toBe('take');
    expect(claimDecision({ ...stale, status: 'FAILED' }, 'job-b', now)).toBe('take');
  });
});

describe('events', () => {
  it('tell shipped once for PICKED_UP and IN_TRANSIT, and skip quiet statuses', () => {
    expect(shipmentStage('PICKED_UP')).toBe(shipmentStage('IN_TRANSIT'));
    for (const quiet of ['PENDING', 'LABEL_CREATED', 'FAILED_ATTEMPT', 'RETURNED'] as const) {
      expect(shipmentStage(quiet)).toBeNull();
    }
  });

  it('key messages by business object, so two jobs for one payment are one message', () => {
    const data = { orderId, userId, total: 100, currency: 'EUR' };
    expect(planFor({ name: JobName.ORDER_PAID, data })).toEqual({
      userId,
      template: 'order-confirmation',
      preference: 'orderConfirmation',
      eventKey: `order.paid:${orderId}`,
    });
  });
});
