import type { Money } from '@shop/money';

/**
 * One template per event: a function from typed data to the e-mail (subject, text, html)
 * and the SMS text. Every value that comes from outside (names, product names) goes
 * through `escapeHtml` in the html part; the text parts are plain text and stay as they are.
 */
export interface RenderedMessage {
  subject: string;
  text: string;
  html: string;
  /** The SMS body: short, plain text. */
  sms: string;
}

export const TemplateName = {
  WELCOME: 'welcome',
  ORDER_CONFIRMATION: 'order-confirmation',
  ORDER_CANCELLED: 'order-cancelled',
  ORDER_REFUNDED: 'order-refunded',
  SHIPMENT_SHIPPED: 'shipment-shipped',
  SHIPMENT_OUT_FOR_DELIVERY: 'shipment-out-for-delivery',
  SHIPMENT_DELIVERED: 'shipment-delivered',
} as const;
export type TemplateName = (typeof TemplateName)[keyof typeof TemplateName];

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * Minor units as the customer reads them, in the currency's own number of decimals
 * (1999 EUR → €19.99, 500 JPY → ¥500). The decimal is built from the integer as a string,
 * so no float ever touches the amount.
 */
export function formatMoney(money: Money, locale = 'en-GB'): string {
  const format = new Intl.NumberFormat(locale, { style: 'currency', currency: money.currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  const negative = money.amount < 0;
  const units = String(Math.abs(money.amount)).padStart(digits + 1, '0');
  const decimal = digits > 0 ? `${units.slice(0, -digits)}.${units.slice(-digits)}` : units;
  // Intl.NumberFormat accepts decimal strings and formats them exactly.
  return format.format(`${negative ? '-' : ''}${decimal}` as unknown as number);
}

/** The short order reference customers see (the first block of the order's UUID). */
export function orderReference(orderId: string): string {
  return orderId.slice(0, 8).toUpperCase();
}

function page(title: string, body: string): string {
  return (
    '<!doctype html><html><head><meta charset="utf-8">' +
    `<title>${escapeHtml(title)}</title></head>` +
    `<body style="font-family:sans-serif;line-height:1.5">${body}</body></html>`
  );
}

export interface WelcomeData {
  name: string;
}

export function welcome(data: WelcomeData): RenderedMessage {
  const subject = 'Welcome to the shop';
  return {
    subject,
    text: `Hello ${data.name},\n\nwelcome to the shop! Your account is ready: sign in to browse, fill your cart and follow your orders.\n`,
    html: page(
      subject,
      `<p>Hello ${escapeHtml(data.name)},</p>` +
        '<p>welcome to the shop! Your account is ready: sign in to browse, fill your cart and follow your orders.</p>',
    ),
    sms: `Welcome to the shop, ${data.name}!`,
  };
}

export interface OrderLineData {
  name: string;
  quantity: number;
  unitPrice: Money;
  lineTotal: Money;
}

export interface OrderConfirmationData {
  name: string;
  orderId: string;
  lines: OrderLineData[];
  total: Money;
}

export function orderConfirmation(data: OrderConfirmationData): RenderedMessage {
  const ref = orderReference(data.orderId);
  const total = formatMoney(data.total);
  const subject = `Your order ${ref} is confirmed`;
  const textLines = data.lines.map(
    (l) => `- ${l.name}: ${l.quantity} × ${formatMoney(l.unitPrice)} = ${formatMoney(l.lineTotal)}`,
  );
  const rows = data.lines
    .map(
      (l) =>
        `<tr><td>${escapeHtml(l.name)}</td><td align="right">${l.quantity}</td>` +
        `<td align="right">${escapeHtml(formatMoney(l.unitPrice))}</td>` +
        `<td align="right">${escapeHtml(formatMoney(l.lineTotal))}</td></tr>`,
    )
    .join('');
  return {
    subject,
    text:
      `Hello ${data.name},\n\nthank you for your order ${ref}. We have received your payment.\n\n` +
      `${textLines.join('\n')}\n\nTotal: ${total}\n\nWe will let you know when it ships.\n`,
    html: page(
      subject,
      `<p>Hello ${escapeHtml(data.name)},</p>` +
        `<p>thank you for your order <strong>${ref}</strong>. We have received your payment.</p>` +
        '<table cellpadding="4"><thead><tr><th align="left">Item</th><th>Quantity</th>' +
        `<th>Unit price</th><th>Line total</th></tr></thead><tbody>${rows}</tbody>` +
        `<tfoot><tr><td colspan="3" align="right"><strong>Total</strong></td>` +
        `<td align="right"><strong>${escapeHtml(total)}</strong></td></tr></tfoot></table>` +
        '<p>We will let you know when it ships.</p>',
    ),
    sms: `Your order ${ref} is confirmed. Total: ${total}.`,
  };
}

export interface OrderCancelledData {
  name: string;
  orderId: string;
  total: Money;
  /** Money had been taken and was refunded as the order was cancelled. */
  refunded: boolean;
  reason: 'customer' | 'payment-timeout';
}

export function orderCancelled(data: OrderCancelledData): RenderedMessage {
  const ref = orderReference(data.orderId);
  const subject = `Your order ${ref} is cancelled`;
  const why =
    data.reason === 'payment-timeout'
      ? 'We did not receive the payment in time, so the order was cancelled and its items released.'
      : 'Your order was cancelled as you asked.';
  const money = data.refunded
    ? `The payment of ${formatMoney(data.total)} is being refunded to your original payment method; depending on your bank it can take a few days to appear.`
    : 'No payment was taken.';
  return {
    subject,
    text: `Hello ${data.name},\n\n${why}\n${money}\n`,
    html: page(
      subject,
      `<p>Hello ${escapeHtml(data.name)},</p><p>${escapeHtml(why)}</p><p>${escapeHtml(money)}</p>`,
    ),
    sms: `Your order ${ref} is cancelled.${data.refunded ? ` ${formatMoney(data.total)} is being refunded.` : ''}`,
  };
}

export interface OrderRefundedData {
  name: string;
  orderId: string;
  amount: Money;
}

export function orderRefunded(data: OrderRefundedData): RenderedMessage {
  const ref = orderReference(data.orderId);
  const amount = formatMoney(data.amount);
  const subject = `Refund for your order ${ref}`;
  const body = `We have refunded ${amount} for your order ${ref} to your original payment method; depending on your bank it can take a few days to appear.`;
  return {
    subject,
    text: `Hello ${data.name},\n\n${body}\n`,
    html: page(subject, `<p>Hello ${escapeHtml(data.name)},</p><p>${escapeHtml(body)}</p>`),
    sms: `We have refunded ${amount} for your order ${ref}.`,
  };
}

export interface ShipmentData {
  name: string;
  orderId: string;
  carrier: string | null;
  trackingNumber: string | null;
}

function tracking(data: ShipmentData): string {
  if (!data.trackingNumber) return '';
  return data.carrier
    ? `Tracking: ${data.carrier} ${data.trackingNumber}.`
    : `Tracking number: ${data.trackingNumber}.`;
}

function shipmentMessage(subject: string, sentence: string, data: ShipmentData): RenderedMessage {
  const track = tracking(data);
  return {
    subject,
    text: `Hello ${data.name},\n\n${sentence}${track ? `\n${track}` : ''}\n`,
    html: page(
      subject,
      `<p>Hello ${escapeHtml(data.name)},</p><p>${escapeHtml(sentence)}</p>` +
        (track ? `<p>${escapeHtml(track)}</p>` : ''),
    ),
    sms: `${sentence}${track ? ` ${track}` : ''}`,
  };
}

export function shipmentShipped(data: ShipmentData): RenderedMessage {
  const ref = orderReference(data.orderId);
  return shipmentMessage(`Your order ${ref} has shipped`, `Your order ${ref} is on its way.`, data);
}

export function shipmentOutForDelivery(data: ShipmentData): RenderedMessage {
  const ref = orderReference(data.orderId);
  return shipmentMessage(
    `Your order ${ref} arrives today`,
    `Your order ${ref} is out for delivery and arrives today.`,
    data,
  );
}

export function shipmentDelivered(data: ShipmentData): RenderedMessage {
  const ref = orderReference(data.orderId);
  return shipmentMessage(
    `Your order ${ref} was delivered`,
    `Your order ${ref} was delivered. Enjoy!`,
    data,
  );
}
