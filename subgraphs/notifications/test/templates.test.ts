import {
  escapeHtml,
  formatMoney,
  orderCancelled,
  orderConfirmation,
  shipmentShipped,
  welcome,
} from '../src/domain/templates';

const orderId = '3f2a9c1e-0000-4000-8000-000000000000';

describe('templates', () => {
  it('escape every HTML-special character', () => {
    expect(escapeHtml(`<a href="x">Ada & 'Bob'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;Ada &amp; &#39;Bob&#39;&lt;/a&gt;',
    );
  });

  it('format minor units in the currency’s own decimals, without floats', () => {
    expect(formatMoney({ amount: 1999, currency: 'EUR' })).toBe('€19.99');
    expect(formatMoney({ amount: 5, currency: 'EUR' })).toBe('€0.05');
    expect(formatMoney({ amount: 500, currency: 'JPY' })).toBe('JP¥500');
    // Three decimals; ICU separates the code with a no-break space.
    expect(formatMoney({ amount: 1234567, currency: 'KWD' })).toBe('KWD\u00a01,234.567');
    expect(formatMoney({ amount: 900719925474099, currency: 'USD' })).toBe(
      'US$9,007,199,254,740.99',
    );
  });

  it('escape product names in the confirmation’s HTML, not in its text', () => {
    const message = orderConfirmation({
      name: 'Ann',
      orderId,
      total: { amount: 300, currency: 'EUR' },
      lines: [
        {
          name: '<b>Mug</b> & saucer',
          quantity: 3,
          unitPrice: { amount: 100, currency: 'EUR' },
          lineTotal: { amount: 300, currency: 'EUR' },
        },
      ],
    });
    expect(message.subject).toBe('Your order 3F2A9C1E is confirmed');
    expect(message.text).toContain('- <b>Mug</b> & saucer: 3 × €1.00 = €3.00');
    expect(message.html).toContain('<td>&lt;b&gt;Mug&lt;/b&gt; &amp; saucer</td>');
    expect(message.sms).toBe('Your order 3F2A9C1E is confirmed. Total: €3.00.');
  });

  it('word a cancellation by reason and refund', () => {
    const base = { name: 'Ann', orderId, total: { amount: 1000, currency: 'EUR' } };
    expect(orderCancelled({ ...base, refunded: true, reason: 'customer' }).sms).toBe(
      'Your order 3F2A9C1E is cancelled. €10.00 is being refunded.',
    );
    const timeout = orderCancelled({ ...base, refunded: false, reason: 'payment-timeout' });
    expect(timeout.text).toContain('did not receive the payment in time');
    expect(timeout.text).toContain('No payment was taken.');
  });

  it('mention tracking only when there is a tracking number', () => {
    const base = { name: 'Ann', orderId, carrier: 'DHL' };
    expect(shipmentShipped({ ...base, trackingNumber: '123' }).sms).toBe(
      'Your order 3F2A9C1E is on its way. Tracking: DHL 123.',
    );
    expect(shipmentShipped({ ...base, trackingNumber: null }).sms).toBe(
      'Your order 3F2A9C1E is on its way.',
    );
    expect(welcome({ name: 'Ann' }).html).toMatch(/^<!doctype html>/);
  });
});
