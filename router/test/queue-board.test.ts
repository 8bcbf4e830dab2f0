import { randomUUID } from 'node:crypto';
import { jobId, JobName, QueueName, Queues, type Job } from '@shop/queues';
import { deleteKeys, TEST_REDIS_URL, testKeyPrefix, waitFor } from '@shop/test-harness';
import { loadRouterConfig } from '../src/config';
import { BoardSessions } from '../src/queue-board/session';
import { startStack, type Stack, type TestRouter } from './support/stack';

// The queues of this file only; the router's board reads the same prefix.
const PREFIX = testKeyPrefix('queue-board').slice(0, -1);
const SECRET = 'queue-board-test-secret-with-32-chars-or-more';
const COOKIE = 'shop_queue_board';

let stack: Stack;
let router: TestRouter;
let queues: Queues;
/** Job ids whose next attempt succeeds: the SMTP relay is "back" for them. */
const recovered = new Set<string>();

beforeAll(async () => {
  stack = await startStack();
  router = await stack.startRouter({
    QUEUE_BOARD_ENABLED: 'true',
    QUEUE_BOARD_SESSION_SECRET: SECRET,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: PREFIX,
  });
  queues = new Queues({ redisUrl: TEST_REDIS_URL, prefix: PREFIX });
  // A notifications worker whose e-mails fail until the relay is back.
  queues.worker(QueueName.NOTIFICATIONS, async (job: Job) => {
    if (!recovered.has(job.id!)) throw new Error('SMTP relay refused the message');
    return 'sent';
  });
});

afterAll(async () => {
  await queues.close();
  await stack.stop();
  await deleteKeys(`${PREFIX}:`);
});

function boardUrl(pathname: string): URL {
  return new URL(pathname, router.url);
}

async function signIn(token: string): Promise<Response> {
  return fetch(boardUrl('/admin/session'), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
}

/** The session cookie's value from a Set-Cookie answer, with its attributes. */
function sessionCookie(response: Response): { value: string; attributes: string[] } {
  const header = response.headers.getSetCookie().find((c) => c.startsWith(`${COOKIE}=`));
  if (!header) throw new Error(`no ${COOKIE} cookie in ${response.status} answer`);
  const [pair, ...attributes] = header.split(';').map((part) => part.trim());
  return { value: pair!.slice(COOKIE.length + 1), attributes };
}

async function adminCookie(): Promise<string> {
  return sessionCookie(await signIn(stack.tokens.adminToken())).value;
}

function board(
  pathname: string,
  cookie: string | undefined,
  init: RequestInit & { headers?: Record<string, string> } = {},
): Promise<Response> {
  return fetch(boardUrl(`/admin/queues${pathname}`), {
    ...init,
    headers: { ...(cookie ? { cookie: `${COOKIE}=${cookie}` } : {}), ...init.headers },
  });
}

/** A notifications job that fails once it runs (one attempt, so it lands in the failed set). */
async function failedJob(): Promise<string> {
  const id = jobId(JobName.USER_REGISTERED, randomUUID());
  await queues
    .queue(QueueName.NOTIFICATIONS)
    .add(JobName.USER_REGISTERED, { userId: randomUUID() }, { jobId: id, attempts: 1 });
  await waitFor(
    async () => (await queues.queue(QueueName.NOTIFICATIONS).getJobState(id)) === 'failed',
    { what: `job ${id} to fail` },
  );
  return id;
}

interface BoardJob {
  id: string;
  name: string;
  failedReason?: string;
  data: unknown;
}

async function failedJobsOnBoard(cookie: string): Promise<BoardJob[]> {
  const response = await board(
    `/api/queues?activeQueue=${QueueName.NOTIFICATIONS}&status=failed&page=1&jobsPerPage=50`,
    cookie,
  );
  expect(response.status).toBe(200);
  const body = (await response.json()) as { queues: { name: string; jobs: BoardJob[] }[] };
  return body.queues.find((queue) => queue.name === QueueName.NOTIFICATIONS)!.jobs;
}

describe('the way in', () => {
  it('refuses an anonymous visitor, with the way in and no stack trace', async () => {
    const api = await board('/api/queues', undefined);
    expect(api.status).toBe(401);
    expect(await api.json()).toEqual({
      errors: [
        {
          message: 'The queue board is for ADMINs. Sign in at /admin/login.',
          extensions: { code: 'UNAUTHENTICATED' },
        },
      ],
    });

    const page = await board('/', undefined, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(401);
    const html = await page.text();
    expect(html).toContain('<a href="/admin/login">/admin/login</a>');
    expect(html).not.toMatch(/at .*\.ts:\d+/);

    const noToken = await fetch(boardUrl('/admin/session'), { method: 'POST' });
    expect(noToken.status).toBe(401);
    expect(noToken.headers.getSetCookie()).toEqual([]);
  });

  it('gives no session to a customer, a forged or an expired token', async () => {
    const customer = await signIn(stack.tokens.userToken({ roles: ['CUSTOMER'] }));
    expect(customer.status).toBe(403);
    expect(await customer.json()).toMatchObject({
      errors: [
        { message: 'The queue board is for ADMIN accounts.', extensions: { code: 'FORBIDDEN' } },
      ],
    });
    expect(customer.headers.getSetCookie()).toEqual([]);

    for (const token of [
      stack.tokens.foreignToken(),
      stack.tokens.userToken({ roles: ['ADMIN'] }, { expiresIn: -60 }),
    ]) {
      const refused = await signIn(token);
      expect(refused.status).toBe(401);
      expect(refused.headers.getSetCookie()).toEqual([]);
    }
  });

  it('gives an ADMIN a short-lived HttpOnly, SameSite=Strict cookie for the board path only', async () => {
    const response = await signIn(stack.tokens.adminToken());
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      board: '/admin/queues/',
      expiresAt: expect.any(String),
    });
    const { attributes } = sessionCookie(response);
    expect(attributes).toEqual(
      expect.arrayContaining(['Path=/admin/queues', 'HttpOnly', 'SameSite=Strict']),
    );
    const maxAge = Number(attributes.find((a) => a.startsWith('Max-Age='))!.slice(8));
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(15 * 60);
  });

  it('never lets a session outlive the token it was issued for', async () => {
    const response = await signIn(stack.tokens.userToken({ roles: ['ADMIN'] }, { expiresIn: 90 }));
    const maxAge = Number(
      sessionCookie(response)
        .attributes.find((a) => a.startsWith('Max-Age='))!
        .slice(8),
    );
    expect(maxAge).toBeLessThanOrEqual(90);
  });

  it('refuses forged, tampered, foreign and expired cookies', async () => {
    const genuine = await adminCookie();
    const [version, , signature] = genuine.split('.');
    const longer = Buffer.from(
      JSON.stringify({ use: 'queue-board', sub: 'someone', exp: Date.now() + 86_400_000 }),
    ).toString('base64url');
    const cookies: Array<[string, string, string]> = [
      ['a made-up value', 'admin', 'invalid'],
      ['claims changed, signature kept', `${version}.${longer}.${signature}`, 'invalid'],
      [
        'a signature of another secret',
        new BoardSessions(undefined, 60_000).issue('u', undefined).value,
        'invalid',
      ],
      [
        'a genuine session that has expired',
        new BoardSessions(SECRET, 60_000).issue('u', undefined, Date.now() - 3_600_000).value,
        'expired',
      ],
    ];
    for (const [what, cookie, reason] of cookies) {
      const response = await board('/api/queues', cookie);
      expect({ what, status: response.status }).toEqual({ what, status: 401 });
      const body = (await response.json()) as { errors: { message: string }[] };
      expect({ what, message: body.errors[0]!.message }).toEqual({
        what,
        message: expect.stringContaining(reason === 'expired' ? 'has expired' : 'not valid'),
      });
    }
  });

  it('is no API token: /graphql refuses it as a bearer token and ignores it as a cookie', async () => {
    const cookie = await adminCookie();
    const asBearer = await router.post(
      { query: '{ caller { userId } }' },
      { authorization: `Bearer ${cookie}` },
    );
    expect(asBearer.status).toBe(401);

    const asCookie = await router.post(
      { query: '{ caller { userId roles } }' },
      { cookie: `${COOKIE}=${cookie}` },
    );
    expect(asCookie.body).toEqual({ data: { caller: { userId: null, roles: [] } } });
  });

  it('serves the board page and the login page to a signed-in ADMIN', async () => {
    const cookie = await adminCookie();
    const page = await board('/', cookie, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(await page.text()).toContain('<base href="/admin/queues/"');

    const login = await fetch(boardUrl('/admin/login'));
    expect(login.status).toBe(200);
    expect(login.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await login.text()).toContain('/admin/session');
  });

  it('signs out: the cookie is cleared for the board path', async () => {
    const response = await fetch(boardUrl('/admin/logout'), { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/admin/login');
    const { value, attributes } = sessionCookie(response);
    expect(value).toBe('');
    expect(attributes).toContain('Path=/admin/queues');
  });
});

describe('failed jobs', () => {
  it('shows a failed job with its error, and retries it until it completes', async () => {
    const id = await failedJob();
    const cookie = await adminCookie();

    const failed = await failedJobsOnBoard(cookie);
    expect(failed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id,
          name: JobName.USER_REGISTERED,
          failedReason: 'SMTP relay refused the message',
        }),
      ]),
    );

    recovered.add(id);
    const retry = await board(`/api/queues/${QueueName.NOTIFICATIONS}/${id}/retry`, cookie, {
      method: 'PUT',
      headers: { 'sec-fetch-site': 'same-origin' },
    });
    expect(retry.status).toBe(204);
    await waitFor(
      async () => (await queues.queue(QueueName.NOTIFICATIONS).getJobState(id)) === 'completed',
      { what: `job ${id} to complete after the retry` },
    );
    const job = await queues.queue(QueueName.NOTIFICATIONS).getJob(id);
    expect(job?.returnvalue).toBe('sent');
    expect((await failedJobsOnBoard(cookie)).map((j) => j.id)).not.toContain(id);
  });

  it('removes a failed job', async () => {
    const id = await failedJob();
    const cookie = await adminCookie();

    const removed = await board(`/api/queues/${QueueName.NOTIFICATIONS}/${id}/clean`, cookie, {
      method: 'PUT',
    });
    expect(removed.status).toBe(204);
    expect(await queues.queue(QueueName.NOTIFICATIONS).getJob(id)).toBeUndefined();
    expect((await failedJobsOnBoard(cookie)).map((j) => j.id)).not.toContain(id);
  });

  it('lists every queue of the shop', async () => {
    const response = await board('/api/queues', await adminCookie());
    const body = (await response.json()) as { queues: { name: string }[] };
    expect(body.queues.map((queue) => queue.name).sort()).toEqual(Object.values(QueueName).sort());
  });

  it('refuses a change started by another site, even with the cookie', async () => {
    const id = await failedJob();
    const cookie = await adminCookie();
    const response = await board(`/api/queues/${QueueName.NOTIFICATIONS}/${id}/clean`, cookie, {
      method: 'PUT',
      headers: { 'sec-fetch-site': 'same-site' },
    });
    expect(response.status).toBe(403);
    expect(await queues.queue(QueueName.NOTIFICATIONS).getJobState(id)).toBe('failed');
  });

  it('refuses the retry without a session cookie, whatever bearer token comes along', async () => {
    const id = await failedJob();
    const retry = (headers: Record<string, string>) =>
      board(`/api/queues/${QueueName.NOTIFICATIONS}/${id}/retry`, undefined, {
        method: 'PUT',
        headers,
      });
    expect((await retry({})).status).toBe(401);
    const customer = stack.tokens.userToken({ roles: ['CUSTOMER'] });
    expect((await retry({ authorization: `Bearer ${customer}` })).status).toBe(401);
    // The board takes its session cookie only: a token goes to POST /admin/session first.
    expect((await retry({ authorization: `Bearer ${stack.tokens.adminToken()}` })).status).toBe(
      401,
    );
    expect(await queues.queue(QueueName.NOTIFICATIONS).getJobState(id)).toBe('failed');
  });
});

describe('configuration', () => {
  it('needs a session secret in production when the board is on', () => {
    expect(() => loadRouterConfig({ NODE_ENV: 'production', QUEUE_BOARD_ENABLED: 'true' })).toThrow(
      /QUEUE_BOARD_SESSION_SECRET is required/,
    );
    expect(() =>
      loadRouterConfig({
        NODE_ENV: 'production',
        QUEUE_BOARD_ENABLED: 'true',
        QUEUE_BOARD_SESSION_SECRET: 'short',
      }),
    ).toThrow(/at least 32 characters/);
    expect(loadRouterConfig({ NODE_ENV: 'production' }).QUEUE_BOARD_ENABLED).toBe(false);
    expect(loadRouterConfig({ NODE_ENV: 'development' }).QUEUE_BOARD_ENABLED).toBe(true);
  });

  it('keeps sessions to at most 15 minutes', () => {
    expect(() => loadRouterConfig({ QUEUE_BOARD_SESSION_TTL_SECONDS: '3600' })).toThrow(
      /QUEUE_BOARD_SESSION_TTL_SECONDS/,
    );
  });
});
