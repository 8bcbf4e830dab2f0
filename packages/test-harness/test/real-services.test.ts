// Proves that the services provisioned by tools/provision.sh are really there and speak
// the protocols the shop relies on: MongoDB wire protocol (FerretDB) through mongoose,
// and Stripe's API (stripe-mock) through the official SDK.
import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import Stripe from 'stripe';

const MONGODB_URL = process.env.TEST_MONGODB_URL ?? 'mongodb://127.0.0.1:27017';
const STRIPE_API = new URL(process.env.TEST_STRIPE_API_URL ?? 'http://127.0.0.1:12111');

describe('MongoDB-compatible server', () => {
  const dbName = `smoke_${randomUUID().slice(0, 8)}`;
  let connection: mongoose.Connection;

  beforeAll(async () => {
    connection = await mongoose
      .createConnection(MONGODB_URL, { dbName, serverSelectionTimeoutMS: 5000 })
      .asPromise();
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  it('creates, reads, updates and deletes documents through mongoose', async () => {
    const Item = connection.model(
      'Item',
      new mongoose.Schema({ sku: { type: String, unique: true }, stock: Number }),
    );
    await Item.init();
    const created = await Item.create({ sku: 'SKU-1', stock: 5 });

    const decremented = await Item.findOneAndUpdate(
      { _id: created._id, stock: { $gte: 2 } },
      { $inc: { stock: -2 } },
      { returnDocument: 'after' },
    );
    expect(decremented?.stock).toBe(3);

    await expect(Item.create({ sku: 'SKU-1', stock: 1 })).rejects.toMatchObject({ code: 11000 });

    await Item.deleteOne({ _id: created._id });
    expect(await Item.countDocuments()).toBe(0);
  });
});

describe('stripe-mock', () => {
  it('creates a PaymentIntent with the official SDK', async () => {
    const stripe = new Stripe('sk_test_smoke', {
      host: STRIPE_API.hostname,
      port: Number(STRIPE_API.port),
      protocol: 'http',
      maxNetworkRetries: 0,
    });
    const intent = await stripe.paymentIntents.create({
      amount: 2599,
      currency: 'eur',
      metadata: { orderId: 'smoke-order' },
    });
    expect(intent.id).toMatch(/^pi_/);
    expect(intent.object).toBe('payment_intent');
    expect(intent.client_secret).toEqual(expect.any(String));
  });
});
