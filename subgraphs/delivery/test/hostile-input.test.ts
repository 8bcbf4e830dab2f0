// Requests a broken or hostile client can send to delivery directly (not through the router):
// malformed entity representations and text no store or screen should hold.
import { randomUUID } from 'node:crypto';
import { errorCodes, fixtureForFile } from '@shop/test-harness';
import { ENTITIES, SHIPMENT } from './support/operations';
import { startDeliveryStack, type LabelledOrder } from './support/stack';

const stack = fixtureForFile(() => startDeliveryStack({ OUTBOX_RELAY_ENABLED: 'false' }));

const baseUrl = () => stack.service.url.replace(/\/graphql$/, '');

async function post(body: string, token?: string) {
  const response = await fetch(stack.service.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body,
  });
  return { status: response.status, body: (await response.json()) as any };
}

async function expectAlive() {
  const health = await fetch(`${baseUrl()}/healthz`);
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({ status: 'ok', service: 'delivery' });
}

const eventsOf = (shipmentId: string) =>
  stack.sql<{ status: string; location: string | null; note: string | null }>(
    'SELECT status, location, note FROM tracking_events WHERE shipment_id = $1 ORDER BY sequence',
    [shipmentId],
  );

describe('_entities with malformed representations', () => {
  it('answers the request that used to end the process with an error per representation', async () => {
    // Byte for byte the unauthenticated request from the hardening report.
    const res = await post(
      '{"query":"query($r:[_Any!]!){_entities(representations:$r){__typename}}","variables":{"r":[{"__typename":"Shipment","id":null},{"__typename":"Nope"}]}}',
    );
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ _entities: [null, null] });
    const errors = res.body.errors as { path: unknown[]; extensions: { code: string } }[];
    expect(errors.map((e) => [e.path, e.extensions.code])).toEqual([
      [['_entities', 0], 'BAD_USER_INPUT'],
      [['_entities', 1], 'BAD_USER_INPUT'],
    ]);
    await expectAlive();
  });

  it('resolves the valid representations and refuses each bad one at its own index', async () => {
    const order: LabelledOrder = await stack.labelledOrder();
    const representations = [
      { __typename: 'Order', id: order.orderId },
      { __typename: 'Order', id: null },
      { __typename: 'Order', id: 42 },
      { __typename: 'Order', id: 1e308 },
      { __typename: 'Order', id: 'f'.repeat(100_000) },
      { __typename: 'Order', id: 'not-a-uuid' },
      { __typename: 'Order', id: `${order.orderId}'; DROP TABLE shipments; --` },
      { __typename: 'Shipment', id: order.shipmentId },
      { __typename: 'Shipment', id: '123e4567-e89b-12d3-a456-42661417400' },
      { __typename: 'Shipment', id: randomUUID() },
      { __typename: 'Shipment' },
    ];
    const res = await stack.call(ENTITIES, { representations }, order.customer.token);
    if (!res.data) throw new Error(JSON.stringify(res.errors).slice(0, 2000));
    const entities = res.data._entities as any[];
    expect(entities[0]).toMatchObject({
      id: order.orderId,
      shipment: { id: order.shipmentId, status: 'LABEL_CREATED' },
    });
    expect(entities[7]).toMatchObject({
      id: order.shipmentId,
      trackingNumber: order.trackingNumber,
    });
    // A well-formed id of no shipment is null, like one the caller may not read.
    expect(entities[9]).toBeNull();
    const bad = [1, 2, 3, 4, 5, 6, 8, 10];
    for (const index of bad) expect(entities[index]).toBeNull();
    // Refused by the shared guard or by the reference resolver: in completion order.
    const errors = [...res.errors!].sort((a, b) => Number(a.path![1]) - Number(b.path![1]));
    expect(errors.map((e) => [e.path, e.extensions?.code])).toEqual(
      bad.map((index) => [['_entities', index], 'BAD_USER_INPUT']),
    );
    expect(res.errors!.find((e) => e.path![1] === 5)!.message).toMatch(/must be a UUID/);
    expect(errorCodes(res)).not.toContain('INTERNAL_SERVER_ERROR');
    expect(
      (await stack.sql('SELECT id FROM shipments WHERE id = $1', [order.shipmentId])).length,
    ).toBe(1);
    await expectAlive();
  });
});

describe('text in tracking events', () => {
  it('refuses NUL and lone surrogates in a note or location with BAD_USER_INPUT naming it', async () => {
    const order = await stack.labelledOrder();
    for (const [input, field] of [
      [{ status: 'PICKED_UP', note: 'left at door\u0000' }, 'input.note'],
      [{ status: 'PICKED_UP', location: 'Hub \ud800' }, 'input.location'],
      [{ status: 'PICKED_UP', note: '\udc00 tail' }, 'input.note'],
    ] as const) {
      const res = await stack.record(order.shipmentId, input);
      expect(res.status).toBe(400);
      expect(res.errors!.map((e) => [e.extensions?.code, e.extensions?.field])).toEqual([
        ['BAD_USER_INPUT', field],
      ]);
    }
    expect(await eventsOf(order.shipmentId)).toHaveLength(1);
  });

  it('refuses control characters and text-direction overrides, allowing line breaks in a note', async () => {
    const order = await stack.labelledOrder();
    for (const [input, field] of [
      [{ status: 'PICKED_UP', note: 'ring twice\u001b[2J' }, 'input.note'],
      [{ status: 'PICKED_UP', note: 'from \u202Eevil\u202C' }, 'input.note'],
      [{ status: 'PICKED_UP', location: 'Hamburg\nhub' }, 'input.location'],
      [{ status: 'PICKED_UP', location: 'Hamburg \u2066hub\u2069' }, 'input.location'],
      [{ status: 'PICKED_UP', location: 'Hamburg\u0085hub' }, 'input.location'],
    ] as const) {
      const res = await stack.record(order.shipmentId, input);
      expect(res.errors!.map((e) => [e.extensions?.code, e.extensions?.field])).toEqual([
        ['BAD_USER_INPUT', field],
      ]);
      expect(res.errors![0]!.message).toMatch(/characters that are not allowed/);
    }
    expect(await eventsOf(order.shipmentId)).toHaveLength(1);

    const ok = await stack.record(order.shipmentId, {
      status: 'PICKED_UP',
      location: 'Hamburg hub',
      note: 'Parcel 1 of 2\n\tback door',
    });
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.recordTrackingEvent.events[1]).toMatchObject({
      location: 'Hamburg hub',
      note: 'Parcel 1 of 2\n\tback door',
    });
  });

  it("cleans the carrier's location and note instead of losing its status change", async () => {
    const order = await stack.labelledOrder();
    const res = await stack.postCarrierEvent({
      id: `evt_${randomUUID()}`,
      trackingNumber: order.trackingNumber,
      status: 'PICKED_UP',
      location: 'Ham\u0000burg\r\nhub \u202Eevil\u202C\ud800',
      note: 'line 1\r\nline 2\u0007\u001b \udc00',
      occurredAt: '2026-11-25T09:30:00+01:00',
    });
    expect(res).toEqual({ status: 200, body: { received: true, outcome: 'applied' } });
    expect((await eventsOf(order.shipmentId))[1]).toEqual({
      status: 'PICKED_UP',
      location: 'Hamburg hub evil\uFFFD',
      note: 'line 1\nline 2 \uFFFD',
    });
    const read = await stack.call(SHIPMENT, { id: order.shipmentId }, order.customer.token);
    expect(read.data!.shipment.status).toBe('PICKED_UP');
  });

  it('refuses (400, JSON) a carrier event whose id or tracking number is no storable text', async () => {
    const order = await stack.labelledOrder();
    for (const overrides of [
      { id: 'evt_\u0000' },
      { id: 'evt_\ud800' },
      { trackingNumber: `${order.trackingNumber}\u0000` },
      { trackingNumber: `${order.trackingNumber}\n` },
    ]) {
      const res = await stack.postCarrierEvent({
        id: `evt_${randomUUID()}`,
        trackingNumber: order.trackingNumber,
        status: 'PICKED_UP',
        occurredAt: '2026-11-25T09:30:00+01:00',
        ...overrides,
      });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatch(/Not a tracking event: .*printable text/s);
    }
    expect(await eventsOf(order.shipmentId)).toHaveLength(1);
    await expectAlive();
  });
});
