import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for PayPal's REST API, following its published contract for what the
 * shop uses (there is no official PayPal mock server):
 * - POST /v1/oauth2/token — client credentials in HTTP Basic, form grant_type=client_credentials;
 * - POST /v2/checkout/orders, GET /v2/checkout/orders/{id},
 *   POST /v2/checkout/orders/{id}/capture — Orders v2, Bearer token, PayPal-Request-Id
 *   idempotency (the same id returns the first response), 422 UNPROCESSABLE_ENTITY issues
 *   ORDER_NOT_APPROVED / ORDER_ALREADY_CAPTURED / INSTRUMENT_DECLINED;
 * - POST /v2/payments/captures/{id}/refund — Payments v2.
 * The buyer's side (approving on paypal.com) is played by approve() / decline().
 */
export interface PaypalFake {
  url: string;
  clientId: string;
  clientSecret: string;
  /** Every request received, in order. */
  calls: { method: string; path: string; requestId?: string; body: unknown }[];
  approve(paypalOrderId: string): void;
  /** The buyer's funding source will be declined at capture. */
  decline(paypalOrderId: string): void;
  /** While true, every API call (the token call included) answers 503. */
  down: boolean;
  /** Runs when a capture has been taken, before PayPal answers (to stage a race). */
  afterCapture: (() => Promise<void>) | null;
  orders: Map<string, FakeOrder>;
  refunds: { id: string; captureId: string }[];
  stop(): Promise<void>;
}

interface FakeOrder {
  id: string;
  status: 'PAYER_ACTION_REQUIRED' | 'APPROVED' | 'COMPLETED';
  declined: boolean;
  purchaseUnit: {
    reference_id?: string;
    custom_id?: string;
    amount: { currency_code: string; value: string };
  };
  captureId?: string;
}

const DEBUG_ID = () => randomUUID().replace(/-/g, '').slice(0, 13);

function error(res: http.ServerResponse, status: number, name: string, issue?: string) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(
    JSON.stringify({
      name,
      message: issue ?? name,
      debug_id: DEBUG_ID(),
      details: issue ? [{ issue, description: issue.replace(/_/g, ' ').toLowerCase() }] : [],
    }),
  );
}

export async function startPaypalFake(): Promise<PaypalFake> {
  const clientId = 'paypal-test-client';
  const clientSecret = 'paypal-test-secret';
  const tokens = new Set<string>();
  const replies = new Map<string, { status: number; body: unknown }>();
  const fake: PaypalFake = {
    url: '',
    clientId,
    clientSecret,
    calls: [],
    down: false,
    afterCapture: null,
    orders: new Map(),
    refunds: [],
    approve: (id) => {
      const order = fake.orders.get(id);
      if (!order) throw new Error(`no PayPal order ${id}`);
      order.status = 'APPROVED';
    },
    decline: (id) => {
      fake.approve(id);
      fake.orders.get(id)!.declined = true;
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const orderJson = (order: FakeOrder) => {
    const base = `${fake.url}/v2/checkout/orders/${order.id}`;
    return {
      id: order.id,
      intent: 'CAPTURE',
      status: order.status,
      payment_source: { paypal: {} },
      purchase_units: [
        {
          ...order.purchaseUnit,
          ...(order.captureId
            ? {
                payments: {
                  captures: [
                    {
                      id: order.captureId,
                      status: 'COMPLETED',
                      amount: order.purchaseUnit.amount,
                      final_capture: true,
                    },
                  ],
                },
              }
            : {}),
        },
      ],
      links: [
        { href: base, rel: 'self', method: 'GET' },
        ...(order.status === 'PAYER_ACTION_REQUIRED'
          ? [
              {
                href: `https://www.sandbox.paypal.com/checkoutnow?token=${order.id}`,
                rel: 'payer-action',
                method: 'GET',
              },
            ]
          : []),
      ],
    };
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, raw: string) => {
    const path = new URL(req.url ?? '/', 'http://paypal').pathname;
    const requestId = req.headers['paypal-request-id'] as string | undefined;
    const body: unknown =
      raw && req.headers['content-type']?.includes('json') ? JSON.parse(raw) : raw;
    fake.calls.push({ method: req.method ?? '', path, requestId, body });
    if (fake.down) return error(res, 503, 'SERVICE_UNAVAILABLE');

    if (req.method === 'POST' && path === '/v1/oauth2/token') {
      const basic = Buffer.from(`${clientId}:${clientSecret}`).toString('base64');
      if (req.headers.authorization !== `Basic ${basic}`) {
        return res.writeHead(401, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            error: 'invalid_client',
            error_description: 'Client Authentication failed',
          }),
        );
      }
      if (new URLSearchParams(raw).get('grant_type') !== 'client_credentials') {
        return res.writeHead(400, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            error: 'unsupported_grant_type',
            error_description: 'Grant Type is NULL',
          }),
        );
      }
      const token = `A21AA${randomUUID().replace(/-/g, '')}`;
      tokens.add(token);
      return res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          scope: 'https://uri.paypal.com/services/payments/payment',
          access_token: token,
          token_type: 'Bearer',
          app_id: 'APP-80W284485P519543T',
          expires_in: 32400,
          nonce: randomUUID(),
        }),
      );
    }

    const bearer = req.headers.authorization?.replace(/^Bearer /, '');
    if (!bearer || !tokens.has(bearer)) {
      return error(res, 401, 'AUTHENTICATION_FAILURE', 'INVALID_ACCESS_TOKEN');
    }
    // PayPal-Request-Id: a repeated POST gets the first answer back (PayPal keeps them ~6 h).
    const replayKey = requestId && req.method === 'POST' ? `${path} ${requestId}` : null;
    const replay = replayKey ? replies.get(replayKey) : undefined;
    if (replay) {
      return res
        .writeHead(replay.status === 201 ? 200 : replay.status, {
          'content-type': 'application/json',
        })
        .end(JSON.stringify(replay.body));
    }
    const reply = (status: number, json: unknown) => {
      if (replayKey) replies.set(replayKey, { status, body: json });
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    };

    if (req.method === 'POST' && path === '/v2/checkout/orders') {
      const request = body as {
        intent?: string;
        purchase_units?: FakeOrder['purchaseUnit'][];
      };
      const unit = request.purchase_units?.[0];
      if (
        request.intent !== 'CAPTURE' ||
        !unit?.amount?.currency_code ||
        !/^\d+(\.\d{1,2})?$/.test(unit.amount.value ?? '')
      ) {
        return error(res, 400, 'INVALID_REQUEST', 'MISSING_REQUIRED_PARAMETER');
      }
      const id = randomUUID().replace(/-/g, '').slice(0, 17).toUpperCase();
      const order: FakeOrder = {
        id,
        status: 'PAYER_ACTION_REQUIRED',
        declined: false,
        purchaseUnit: unit,
      };
      fake.orders.set(id, order);
      return reply(201, orderJson(order));
    }

    const orderPath = /^\/v2\/checkout\/orders\/([A-Z0-9]+)(\/capture)?$/.exec(path);
    if (orderPath) {
      const order = fake.orders.get(orderPath[1]!);
      if (!order) return error(res, 404, 'RESOURCE_NOT_FOUND', 'INVALID_RESOURCE_ID');
      if (req.method === 'GET' && !orderPath[2]) return reply(200, orderJson(order));
      if (req.method === 'POST' && orderPath[2]) {
        if (order.status === 'COMPLETED') {
          return error(res, 422, 'UNPROCESSABLE_ENTITY', 'ORDER_ALREADY_CAPTURED');
        }
        if (order.status !== 'APPROVED') {
          return error(res, 422, 'UNPROCESSABLE_ENTITY', 'ORDER_NOT_APPROVED');
        }
        if (order.declined) {
          return error(res, 422, 'UNPROCESSABLE_ENTITY', 'INSTRUMENT_DECLINED');
        }
        order.status = 'COMPLETED';
        order.captureId = randomUUID().replace(/-/g, '').slice(0, 17).toUpperCase();
        await fake.afterCapture?.();
        return reply(201, orderJson(order));
      }
    }

    const refundPath = /^\/v2\/payments\/captures\/([A-Z0-9]+)\/refund$/.exec(path);
    if (req.method === 'POST' && refundPath) {
      const captured = [...fake.orders.values()].find((o) => o.captureId === refundPath[1]);
      if (!captured) return error(res, 404, 'RESOURCE_NOT_FOUND', 'INVALID_RESOURCE_ID');
      if (fake.refunds.some((r) => r.captureId === captured.captureId)) {
        return error(res, 422, 'UNPROCESSABLE_ENTITY', 'CAPTURE_FULLY_REFUNDED');
      }
      const refund = {
        id: randomUUID().replace(/-/g, '').slice(0, 17).toUpperCase(),
        captureId: captured.captureId!,
      };
      fake.refunds.push(refund);
      return reply(201, {
        id: refund.id,
        status: 'COMPLETED',
        amount: captured.purchaseUnit.amount,
      });
    }
    return error(res, 404, 'NOT_FOUND');
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((err: unknown) =>
        res.writeHead(500).end(String(err)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

/** The orders service's environment for paying through the fake. */
export function paypalEnv(fake: PaypalFake): Record<string, string> {
  return {
    PAYPAL_CLIENT_ID: fake.clientId,
    PAYPAL_CLIENT_SECRET: fake.clientSecret,
    PAYPAL_API_URL: fake.url,
  };
}
