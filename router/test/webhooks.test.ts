import { startStack, type Stack } from './support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

describe('POST /webhooks/stripe on the router', () => {
  it('reaches the orders subgraph byte for byte, with the signature header and nothing else', async () => {
    // Bytes a JSON parser would not give back unchanged: spacing, key order, a raw é.
    const payload = Buffer.from('{ "id":"evt_1",  "type":"payment_intent.succeeded", "x":"é" }');
    const response = await fetch(new URL('/webhooks/stripe', stack.router.url), {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'stripe-signature': 't=1,v1=abc',
        authorization: 'Bearer not-forwarded',
        'x-user-id': 'not-forwarded',
      },
      body: payload,
    });
    expect(response.status).toBe(202);
    const echoed = (await response.json()) as { body: string; headers: Record<string, string> };
    expect(Buffer.from(echoed.body, 'base64').equals(payload)).toBe(true);
    expect(echoed.headers['stripe-signature']).toBe('t=1,v1=abc');
    expect(echoed.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(echoed.headers['x-request-id']).toEqual(expect.any(String));
    expect(echoed.headers.authorization).toBeUndefined();
    expect(echoed.headers['x-user-id']).toBeUndefined();
  });

  it('answers 502 when the orders subgraph is down', async () => {
    await stack.orders.stop();
    const response = await fetch(new URL('/webhooks/stripe', stack.router.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ error: 'The orders service is unreachable.' });
  });
});
