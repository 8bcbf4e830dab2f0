// What a storefront, a back office and Stripe do through the router, as small steps the
// end-to-end specs compose.
import Stripe from 'stripe';
import { graphql, waitFor } from '@shop/test-harness';
import { ADD } from '@shop/cart/testing';
import { CHECKOUT, paymentIntentEvent, WEBHOOK_SECRET } from '@shop/orders/testing';
import { CREATE_PRODUCT, newProduct } from '@shop/products/testing';
import { ADD_ADDRESS, ADMIN, LOGIN, newCustomer, REGISTER, SET_ROLES } from '@shop/users/testing';

export interface Shopper {
  userId: string;
  name: string;
  email: string;
  token: string;
  addressId: string;
}

export interface Checkout {
  orderId: string;
  status: string;
  provider: string;
  clientSecret: string | null;
  providerReference: string;
  approvalUrl: string | null;
  total: { amount: number; currency: string };
}

type Data = Record<string, any>;

export class Shop {
  constructor(readonly url: string) {}

  call(query: string, variables: Record<string, unknown> = {}, token?: string) {
    return graphql<Data>(this.url, query, variables, { token });
  }

  /** The data of a call that must succeed; its errors otherwise. */
  async ok(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<Data> {
    const res = await this.call(query, variables, token);
    if (res.errors) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors)}`);
    return res.data!;
  }

  async login(email: string, password: string): Promise<string> {
    return (await this.ok(LOGIN, { email, password })).login.accessToken as string;
  }

  adminToken(): Promise<string> {
    return this.login(ADMIN.email, ADMIN.password);
  }

  async createProduct(
    overrides: Record<string, unknown> = {},
  ): Promise<{ id: string; name: string }> {
    const admin = await this.adminToken();
    return (await this.ok(CREATE_PRODUCT, { input: newProduct(overrides) }, admin)).createProduct;
  }

  /** A new account with one address, signed in. */
  async shopper(overrides: Partial<{ name: string; phone: string }> = {}): Promise<Shopper> {
    const input = newCustomer(overrides);
    const { accessToken, user } = (await this.ok(REGISTER, { input })).register;
    const address = (
      await this.ok(
        ADD_ADDRESS,
        { input: { line1: 'Main Street 1', city: 'Berlin', postalCode: '10115', country: 'DE' } },
        accessToken,
      )
    ).addAddress;
    return {
      userId: user.id,
      name: input.name,
      email: input.email,
      token: accessToken,
      addressId: address.id,
    };
  }

  /** A signed-in account that the admin made a COURIER (signed in again for the new role). */
  async courier(): Promise<string> {
    const input = newCustomer({ name: 'Cora Courier' });
    const { user } = (await this.ok(REGISTER, { input })).register;
    await this.ok(SET_ROLES, { userId: user.id, roles: ['COURIER'] }, await this.adminToken());
    return this.login(input.email, input.password);
  }

  async addToCart(shopper: Shopper, productId: string, quantity: number): Promise<void> {
    await this.ok(ADD, { productId, quantity }, shopper.token);
  }

  async checkout(
    shopper: Shopper,
    paymentMethod: 'STRIPE' | 'PAYPAL' = 'STRIPE',
  ): Promise<Checkout> {
    const { order, payment } = (
      await this.ok(
        CHECKOUT,
        {
          input: {
            paymentMethod,
            shippingAddressId: shopper.addressId,
            idempotencyKey: `e2e-${Date.now()}-${Math.random()}`,
          },
        },
        shopper.token,
      )
    ).checkout;
    return {
      orderId: order.id,
      status: order.status,
      provider: payment.provider,
      clientSecret: payment.clientSecret,
      providerReference: payment.providerReference,
      approvalUrl: payment.approvalUrl,
      total: order.total,
    };
  }

  /** Stripe tells the shop's public host that the PaymentIntent succeeded. */
  async stripePaid(checkout: Checkout): Promise<void> {
    const payload = JSON.stringify(
      paymentIntentEvent('payment_intent.succeeded', {
        id: checkout.providerReference,
        amount: checkout.total.amount,
        currency: checkout.total.currency.toLowerCase(),
        orderId: checkout.orderId,
      }),
    );
    const signature = new Stripe('sk_test_e2e').webhooks.generateTestHeaderString({
      payload,
      secret: WEBHOOK_SECRET,
    });
    const res = await fetch(new URL('/webhooks/stripe', this.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body: payload,
    });
    if (res.status !== 200) throw new Error(`Stripe webhook answered ${res.status}`);
  }

  /** A product in the cart, checked out with Stripe and paid: the order is PAID. */
  async paidOrder(shopper: Shopper, quantity = 1): Promise<Checkout & { productId: string }> {
    const product = await this.createProduct({
      price: { amount: 2500, currency: 'EUR' },
      stock: 10,
    });
    await this.addToCart(shopper, product.id, quantity);
    const checkout = await this.checkout(shopper);
    await this.stripePaid(checkout);
    return { ...checkout, productId: product.id };
  }

  /** Waits until the order, read by its customer, satisfies `ready`; returns it. */
  async orderOnceReady(
    shopper: Shopper,
    orderId: string,
    selection: string,
    ready: (order: Data) => boolean,
    what: string,
  ): Promise<Data> {
    return waitFor(
      async () => {
        const { order } = await this.ok(
          `query($id: ID!) { order(id: $id) { ${selection} } }`,
          { id: orderId },
          shopper.token,
        );
        return ready(order) ? order : false;
      },
      { timeoutMs: 20_000, what },
    );
  }
}
