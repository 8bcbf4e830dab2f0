import { randomUUID } from 'node:crypto';
import { CloseCode } from 'graphql-ws';
import { waitFor } from '@shop/test-harness';
import { RouterCloseReason } from '../src/subscriptions';
import { record, TRACKED } from './support/subscriptions';
import { subscriptionStackForFile } from './support/subscription-stack-for-file';

const stack = subscriptionStackForFile();

/** Connects with `authorization` and tries to subscribe; returns how the socket closed. */
async function refusal(authorization?: string) {
  const connection = stack.connect(stack.router, { authorization });
  const orderId = `order-${randomUUID()}`;
  const upstreamBefore = stack.tracking.connections.length;
  const recording = record(connection.client, { query: TRACKED, variables: { orderId } });

  const ending = await recording.ended;
  expect(stack.tracking.connections.length).toBe(upstreamBefore);
  return ending;
}

describe('who may subscribe', () => {
  it('closes a connection without a token with 4403 Forbidden', async () => {
    expect(await refusal()).toMatchObject({ kind: 'error', code: CloseCode.Forbidden });
  });

  it('closes a connection with a forged, malformed or mis-addressed token with 4403', async () => {
    const { tokens } = stack;
    for (const authorization of [
      `Bearer ${tokens.foreignToken()}`,
      'Bearer not-a-jwt',
      tokens.userToken(), // no "Bearer " prefix
      `Bearer ${tokens.userToken({}, { audience: 'someone-else' })}`,
    ]) {
      expect(await refusal(authorization)).toMatchObject({
        kind: 'error',
        code: CloseCode.Forbidden,
      });
    }
  });

  it('closes a connection with an expired token with 4403', async () => {
    const expired = stack.tokens.userToken({}, { expiresIn: -10 });
    expect(await refusal(`Bearer ${expired}`)).toMatchObject({
      kind: 'error',
      code: CloseCode.Forbidden,
    });
  });

  it('closes the connection with 4403 when its token expires, ending its subscriptions upstream', async () => {
    // jwt `exp` has whole seconds: this token expires within two.
    const token = stack.tokens.userToken({ sub: 'user-expiring' }, { expiresIn: 2 });
    const connection = stack.connect(stack.router, { authorization: `Bearer ${token}` });
    const orderId = `order-${randomUUID()}`;
    const recording = record(connection.client, { query: TRACKED, variables: { orderId } });
    await waitFor(() => stack.tracking.active(orderId) === 1, {
      what: 'the upstream subscription',
    });
    stack.tracking.publish(orderId, { seq: 1, status: 'IN_TRANSIT' });
    await recording.waitForResults(1);

    expect(await connection.closed).toEqual({
      code: CloseCode.Forbidden,
      reason: RouterCloseReason.TOKEN_EXPIRED,
    });
    await waitFor(() => stack.tracking.ended(orderId) === 1, { what: 'the upstream end' });
    expect(stack.router.logs).toContainEqual(
      expect.objectContaining({
        userId: 'user-expiring',
        msg: 'access token expired; closing the connection',
      }),
    );
  });

  it('logs connection open and close with request id and user id, never the token', async () => {
    const token = stack.tokens.userToken({ sub: 'user-logged' });
    const connection = stack.connect(stack.router, {
      authorization: `Bearer ${token}`,
      requestId: 'req-ws-logged',
    });
    const orderId = `order-${randomUUID()}`;
    record(connection.client, { query: TRACKED, variables: { orderId } });
    await waitFor(() => stack.tracking.active(orderId) === 1, {
      what: 'the upstream subscription',
    });

    await connection.client.dispose();

    await waitFor(
      () =>
        stack.router.logs.find(
          (line) =>
            line.msg === 'subscription connection closed' && line.requestId === 'req-ws-logged',
        ),
      { what: 'the close line' },
    );
    expect(stack.router.logs).toContainEqual(
      expect.objectContaining({
        requestId: 'req-ws-logged',
        userId: 'user-logged',
        msg: 'subscription connection open',
      }),
    );
    expect(JSON.stringify(stack.router.logs)).not.toContain(token);
  });
});
