import { startStack, type Stack } from './support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

describe('health', () => {
  it('GET /healthz says the process is alive', async () => {
    const { status, body } = await stack.router.get('/healthz');
    expect(status).toBe(200);
    expect(body).toEqual({ status: 'ok', service: 'router' });
  });

  it('GET /readyz is 200 when every subgraph is ready', async () => {
    const { status, body } = await stack.router.get('/readyz');
    expect(status).toBe(200);
    expect(body).toEqual({
      status: 'ready',
      service: 'router',
      subgraphs: { users: 'ready', orders: 'ready' },
    });
  });

  it('GET /readyz stays 200 but reports degraded, naming the subgraph that is not ready', async () => {
    stack.users.setReady(false);
    try {
      const { status, body } = await stack.router.get('/readyz');
      expect(status).toBe(200);
      expect(body).toEqual({
        status: 'degraded',
        service: 'router',
        subgraphs: { users: 'readyz answered HTTP 503', orders: 'ready' },
      });
    } finally {
      stack.users.setReady(true);
    }
  });
});

describe('Apollo Sandbox', () => {
  it('is served on GET /graphql to browsers when enabled', async () => {
    const { status, headers, body } = await stack.router.get('/graphql', { accept: 'text/html' });

    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^text\/html/);
    expect(body).toContain('embeddable-sandbox');
  });

  it('is not served when SANDBOX_ENABLED=false', async () => {
    const router = await stack.startRouter({ SANDBOX_ENABLED: 'false' });
    const { status, headers } = await router.get('/graphql', { accept: 'text/html' });

    // 406 Not Acceptable: the browser asked for a page, and the router has none to give.
    expect(status).toBe(406);
    expect(headers.get('content-type')).not.toMatch(/html/);
  });
});

describe('CORS', () => {
  const preflight = (origin: string) => ({
    origin,
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'authorization, content-type',
  });

  it('allows the origins in CORS_ORIGINS and no others', async () => {
    const router = await stack.startRouter({ CORS_ORIGINS: 'https://shop.example.com' });

    const allowed = await fetch(router.url, {
      method: 'OPTIONS',
      headers: preflight('https://shop.example.com'),
    });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');

    const refused = await fetch(router.url, {
      method: 'OPTIONS',
      headers: preflight('https://evil.example'),
    });
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });
});

// Last: stops the users subgraph for good.
describe('when a subgraph is down', () => {
  beforeAll(() => stack.users.stop());

  it('GET /readyz reports degraded and says which subgraph is unreachable', async () => {
    const { status, body } = await stack.router.get('/readyz');
    expect(status).toBe(200);
    expect(body.status).toBe('degraded');
    expect(body.subgraphs).toEqual({
      users: expect.stringMatching(/^unreachable/),
      orders: 'ready',
    });
  });

  it('an operation it fails entirely gets 503 SERVICE_UNAVAILABLE, retryable', async () => {
    const { status, body } = await stack.router.post({ query: '{ caller { userId } }' });
    expect(status).toBe(503);
    expect(body.errors).toEqual([
      expect.objectContaining({ extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true } }),
    ]);
    expect(JSON.stringify(body)).not.toContain('127.0.0.1');
  });
});
