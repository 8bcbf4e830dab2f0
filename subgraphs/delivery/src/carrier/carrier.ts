import { z } from '@shop/config';
import { checkDisplayText } from '@shop/subgraph-kit';

/** Where the parcel goes: the order's shipping address as orders recorded it at checkout. */
export interface Recipient {
  line1: string;
  line2: string | null;
  city: string;
  postalCode: string;
  country: string;
}

export interface LabelRequest {
  /** Also the Idempotency-Key: asking twice for one shipment buys one label. */
  shipmentId: string;
  orderId: string;
  recipient: Recipient;
}

export interface Label {
  carrier: string;
  trackingNumber: string;
  labelUrl: string;
}

export interface VoidRequest {
  shipmentId: string;
  /** The label to void, as the carrier named it when it sold it. */
  trackingNumber: string;
}

/**
 * Buys and voids shipping labels. One implementation per carrier API; tests use a local
 * fake server.
 */
export interface CarrierClient {
  createLabel(request: LabelRequest): Promise<Label>;
  /** Voids an unused label (refunded by the carrier); voiding it again changes nothing. */
  voidLabel(request: VoidRequest): Promise<void>;
}

/**
 * The carrier refused the request (4xx other than 408/429): asking again cannot succeed,
 * so the job fails at once and waits in the failed set for an operator.
 */
export class CarrierRejectedError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    what = 'label request',
  ) {
    super(`the carrier refused the ${what} (HTTP ${status}): ${detail}`);
    this.name = 'CarrierRejectedError';
  }
}

/** The carrier did not answer usefully (5xx, 408, 429, timeout, network): retried later. */
export class CarrierUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CarrierUnavailableError';
  }
}

/**
 * A name or identifier from the carrier (event id, tracking number, carrier name, label
 * URL): printable one-line text. One holding NUL, a lone surrogate or a control character
 * names nothing the database could store or a page could show, so it is refused where it
 * arrives rather than failing in SQL, or reaching customers, later.
 */
export const carrierKey = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((value) => {
      try {
        checkDisplayText(value, 'key');
        return true;
      } catch {
        return false;
      }
    }, 'must be printable text without control characters');

const labelResponse = z.object({
  carrier: carrierKey(100),
  trackingNumber: carrierKey(100),
  labelUrl: z.url().and(carrierKey(2000)),
});

export interface HttpCarrierOptions {
  /** e.g. https://api.carrier.example; labels are bought at `<apiUrl>/v1/labels`. */
  apiUrl: string;
  apiKey: string;
  timeoutMs: number;
}

/**
 * The carrier's JSON REST API:
 *
 *   POST {apiUrl}/v1/labels
 *   Authorization: Bearer <api key>
 *   Idempotency-Key: <shipment id>
 *   { "reference": <order id>, "shipmentId": ..., "service": "standard",
 *     "recipient": { line1, line2, city, postalCode, country } }
 *   → 201 { "carrier": "...", "trackingNumber": "...", "labelUrl": "https://..." }
 *
 *   POST {apiUrl}/v1/labels/{trackingNumber}/void
 *   Authorization: Bearer <api key>
 *   Idempotency-Key: void-<shipment id>
 *   { "reference": <shipment id> }
 *   → 200 { "trackingNumber": "...", "status": "VOIDED" }   also for a label already void
 *   → 409 once the carrier scanned the parcel (too late: it is on its way)
 *
 * The carrier answers a repeated Idempotency-Key with the label it created the first time,
 * so a retry after a timeout (the label may have been bought) never buys a second one.
 */
export class HttpCarrierClient implements CarrierClient {
  constructor(private readonly options: HttpCarrierOptions) {}

  async createLabel(request: LabelRequest): Promise<Label> {
    const body = await this.post(
      '/v1/labels',
      request.shipmentId,
      {
        reference: request.orderId,
        shipmentId: request.shipmentId,
        service: 'standard',
        recipient: request.recipient,
      },
      'label request',
    );
    const parsed = labelResponse.safeParse(body);
    if (!parsed.success) {
      // A label we cannot read is retried: with the same Idempotency-Key, no second label.
      throw new CarrierUnavailableError(
        `the carrier's label is malformed: ${parsed.error.message}`,
      );
    }
    return parsed.data;
  }

  async voidLabel(request: VoidRequest): Promise<void> {
    await this.post(
      `/v1/labels/${encodeURIComponent(request.trackingNumber)}/void`,
      `void-${request.shipmentId}`,
      { reference: request.shipmentId },
      'label void',
    );
  }

  /**
   * One authenticated, idempotent POST. 5xx, 408, 429, timeouts, network errors and a
   * body that is not JSON are CarrierUnavailableError (retried); any other 4xx is
   * CarrierRejectedError (asking again cannot help).
   */
  private async post(
    path: string,
    idempotencyKey: string,
    payload: object,
    what: string,
  ): Promise<unknown> {
    const url = `${this.options.apiUrl.replace(/\/+$/, '')}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          authorization: `Bearer ${this.options.apiKey}`,
          'idempotency-key': idempotencyKey,
        },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      throw new CarrierUnavailableError(
        `the carrier at ${url} is unreachable: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const text = await response.text().catch(() => '');
    if (response.status === 408 || response.status === 429 || response.status >= 500) {
      throw new CarrierUnavailableError(
        `the carrier answered HTTP ${response.status}: ${text.slice(0, 200)}`,
      );
    }
    if (!response.ok) throw new CarrierRejectedError(response.status, text.slice(0, 500), what);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new CarrierUnavailableError(
        `the carrier answered HTTP ${response.status} without JSON`,
      );
    }
  }
}

/** Stands in when CARRIER_API_URL / CARRIER_API_KEY are not set (development only). */
export class UnconfiguredCarrier implements CarrierClient {
  constructor(private readonly missing: string[]) {}

  // Retried, not unrecoverable: once the carrier is configured, the jobs go through.
  createLabel(): Promise<Label> {
    return Promise.reject(this.unconfigured());
  }

  voidLabel(): Promise<void> {
    return Promise.reject(this.unconfigured());
  }

  private unconfigured(): CarrierUnavailableError {
    return new CarrierUnavailableError(`no carrier configured; set ${this.missing.join(', ')}`);
  }
}
