import { randomUUID } from 'node:crypto';
import { fixtureForFile } from '@shop/test-harness';
import { SHIPMENT } from './support/operations';
import { sign, startDeliveryStack, type LabelledOrder } from './support/stack';

const stack = fixtureForFile(() => startDeliveryStack({ OUTBOX_RELAY_ENABLED: 'false' }));

const event = (order: LabelledOrder, overrides: Record<string, unknown> = {}) => ({
  id: `evt_${randomUUID()}`,
  trackingNumber: order.trackingNumber,
  status: 'PICKED_UP',
  location: 'Hamburg hub',
  occurredAt: '2026-11-25T09:30:00+01:00',
  ...overrides,
});

const eventsOf = (shipmentId: string) =>
  stack.sql<{
    status: string;
    source: string;
    external_event_id: string | null;
    location: string | null;
  }>(
    'SELECT status, source, external_event_id, location FROM tracking_events WHERE shipment_id = $1 ORDER BY sequence',
    [shipmentId],
  );

describe('POST /webhooks/carrier', () => {
  it('applies a correctly signed event: status, event at the carrier time, outbox row', async () => {
    const order = await stack.labelledOrder();
    const e = event(order);
    const res = await stack.postCarrierEvent(e);
    expect(res).toEqual({ status: 200, body: { received: true, outcome: 'applied' } });

    const read = await stack.call(SHIPMENT, { id: order.shipmentId }, order.customer.token);
    expect(read.data?.shipment.status).toBe('PICKED_UP');
    expect(read.data?.shipment.events[1]).toEqual({
      status: 'PICKED_UP',
      location: 'Hamburg hub',
      note: null,
      at: '2026-11-25T08:30:00.000Z',
    });
    expect((await eventsOf(order.shipmentId))[1]).toMatchObject({
      source: 'CARRIER',
      external_event_id: e.id,
    });
    const outbox = await stack.sql(
      `SELECT payload FROM outbox WHERE payload->>'shipmentId' = $1 AND payload->>'status' = 'PICKED_UP'`,
      [order.shipmentId],
    );
    expect(outbox).toHaveLength(1);
    expect(outbox[0]!.payload.at).toBe('2026-11-25T08:30:00.000Z');
  });

  it('refuses a missing, malformed, wrong-secret or tampered signature with 401 and changes nothing', async () => {
    const order = await stack.labelledOrder();
    const body = JSON.stringify(event(order));
    const tampered = body.replace('Hamburg hub', 'Bremen hub');
    for (const [payload, signature] of [
      [body, null],
      [body, 'sha256=abc'],
      [body, sign(body).replace('sha256=', 'sha1=')],
      [body, sign(body, 'another-secret')],
      [tampered, sign(body)],
    ] as const) {
      const res = await stack.postCarrierEvent(payload, signature);
      expect(res).toEqual({ status: 401, body: { error: 'Invalid X-Carrier-Signature.' } });
    }
    expect(await eventsOf(order.shipmentId)).toHaveLength(1);
  });

  it('applies one event delivered 20 times at once exactly once', async () => {
    const order = await stack.labelledOrder();
    const e = event(order);
    const results = await Promise.all(Array.from({ length: 20 }, () => stack.postCarrierEvent(e)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const outcomes = results.map((r) => r.body.outcome).sort();
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(19);
    expect(
      (await eventsOf(order.shipmentId)).filter((r) => r.external_event_id === e.id),
    ).toHaveLength(1);
    // And later replays too.
    expect((await stack.postCarrierEvent(e)).body.outcome).toBe('duplicate');
  });

  it('answers 409 with both states for an illegal step, and changes nothing', async () => {
    const order = await stack.labelledOrder();
    const res = await stack.postCarrierEvent(event(order, { status: 'DELIVERED' }));
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ from: 'LABEL_CREATED', to: 'DELIVERED' });
    expect(res.body.error).toMatch(/LABEL_CREATED and cannot become DELIVERED/);
    expect(await eventsOf(order.shipmentId)).toHaveLength(1);
  });

  it('answers 404 for an unknown tracking number and 400 for a body that is no event', async () => {
    const order = await stack.labelledOrder();
    expect((await stack.postCarrierEvent(event(order, { trackingNumber: 'NOPE123' }))).status).toBe(
      404,
    );
    for (const bad of [
      'not json',
      JSON.stringify({ ...event(order), status: 'LOST' }),
      JSON.stringify({ ...event(order), occurredAt: 'yesterday' }),
      JSON.stringify({ ...event(order), location: 'x'.repeat(201) }),
    ]) {
      expect((await stack.postCarrierEvent(bad)).status).toBe(400);
    }
    expect(await eventsOf(order.shipmentId)).toHaveLength(1);
  });

  it("ignores the carrier's echo of LABEL_CREATED", async () => {
    const order = await stack.labelledOrder();
    const res = await stack.postCarrierEvent(event(order, { status: 'LABEL_CREATED' }));
    expect(res).toEqual({ status: 200, body: { received: true, outcome: 'ignored' } });
    expect(await eventsOf(order.shipmentId)).toHaveLength(1);
  });
});
