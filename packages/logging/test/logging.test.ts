// What reaches the log pipeline: one JSON line per entry, named after the service, with
// the secrets that request data can carry censored at the source.
import { Writable } from 'node:stream';
import { createLogger, requestIdFrom } from '../src';

/** A logger writing into an array of parsed lines instead of stdout. */
function capture(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: createLogger('orders', level, sink), lines };
}

describe('createLogger', () => {
  it('writes one JSON line per entry with the service, level, message and fields', () => {
    const { logger, lines } = capture();
    logger.info({ orderId: 'o-1', total: { amount: 1999, currency: 'EUR' } }, 'order placed');
    expect(lines).toEqual([
      expect.objectContaining({
        service: 'orders',
        level: 30,
        msg: 'order placed',
        orderId: 'o-1',
        total: { amount: 1999, currency: 'EUR' },
      }),
    ]);
  });

  it('writes nothing below its level', () => {
    const { logger, lines } = capture('warn');
    logger.info({ orderId: 'o-1' }, 'order placed');
    expect(lines).toEqual([]);
  });

  it("keeps a request's id on every line of its child logger", () => {
    const { logger, lines } = capture();
    const log = logger.child({ requestId: 'req-42' });
    log.info('first');
    log.warn({ orderId: 'o-1' }, 'second');
    expect(lines.map((l) => [l.requestId, l.msg])).toEqual([
      ['req-42', 'first'],
      ['req-42', 'second'],
    ]);
  });

  it('censors passwords, tokens and client secrets in the objects it is given', () => {
    const { logger, lines } = capture();
    const input = {
      email: 'ada@shop.test',
      password: 'correct horse',
      refreshToken: 'rt',
      accessToken: 'at',
      clientSecret: 'cs',
    };
    logger.info({ input, userId: 'u-1' }, 'sign-up');
    expect(lines[0]!.input).toEqual({
      email: 'ada@shop.test',
      password: '[redacted]',
      refreshToken: '[redacted]',
      accessToken: '[redacted]',
      clientSecret: '[redacted]',
    });
    expect(lines[0]!.userId).toBe('u-1');
    // The caller's object is left as it was.
    expect(input.password).toBe('correct horse');
  });

  it("censors a request's Authorization and Cookie headers, keeping the others", () => {
    const { logger, lines } = capture();
    const req = {
      method: 'POST',
      headers: { authorization: 'Bearer abc', cookie: 'sid=1', 'x-request-id': 'req-1' },
    };
    logger.warn({ req }, 'refused');
    expect(lines[0]!.req).toEqual({
      method: 'POST',
      headers: { authorization: '[redacted]', cookie: '[redacted]', 'x-request-id': 'req-1' },
    });
    expect(req.headers.authorization).toBe('Bearer abc');
  });

  it('censors secrets in the bindings of a child logger too', () => {
    const { logger, lines } = capture();
    logger.child({ client: { id: 'orders', clientSecret: 'cs' } }).info('signed in');
    expect(lines[0]!.client).toEqual({ id: 'orders', clientSecret: '[redacted]' });
  });

  it('logs an error with its type, message and stack', () => {
    const { logger, lines } = capture();
    logger.error({ err: new TypeError('boom') }, 'failed');
    expect(lines[0]!.err).toEqual(
      expect.objectContaining({ type: 'TypeError', message: 'boom', stack: expect.any(String) }),
    );
  });
});

describe('requestIdFrom', () => {
  it('keeps a sane incoming id and replaces anything else with a new UUID', () => {
    expect(requestIdFrom('req-42')).toBe('req-42');
    expect(requestIdFrom(['req-1', 'req-2'])).toBe('req-1');
    for (const bad of [undefined, '', 'has space', 'x'.repeat(129), 'new\nline']) {
      expect(requestIdFrom(bad)).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});
