import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Express, Request, RequestHandler, Response } from 'express';
import { Role, type TokenVerifier } from '@shop/auth';
import { ErrorCode, ShopError } from '@shop/errors';
import type { Logger } from '@shop/logging';
import { QueueName, Queues } from '@shop/queues';
import type { RouterConfig } from '../config';
import { tokenExpiresAt } from '../subscriptions/auth';
import { LOGIN_PAGE, LOGIN_PAGE_CSP } from './login-page';
import {
  BOARD_PATH,
  BoardSessions,
  cookieValue,
  LOGIN_PATH,
  LOGOUT_PATH,
  SESSION_COOKIE,
  SESSION_PATH,
} from './session';

export { BOARD_PATH, LOGIN_PATH, LOGOUT_PATH, SESSION_PATH } from './session';

type BoardConfig = Pick<
  RouterConfig,
  | 'NODE_ENV'
  | 'REDIS_URL'
  | 'QUEUE_PREFIX'
  | 'QUEUE_BOARD_SESSION_SECRET'
  | 'QUEUE_BOARD_SESSION_TTL_SECONDS'
>;

/** The refusals a client reads here have the shape of every other router refusal. */
function refuse(res: Response, status: number, code: ErrorCode, message: string): void {
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
}

/** A person who opens the board without a session gets a page with the way in. */
function wantsPage(req: Request): boolean {
  return req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
}

const SIGN_IN_AGAIN: Record<'missing' | 'invalid' | 'expired', string> = {
  missing: `The queue board is for ADMINs. Sign in at ${LOGIN_PATH}.`,
  invalid: `This queue board session is not valid. Sign in again at ${LOGIN_PATH}.`,
  expired: `This queue board session has expired. Sign in again at ${LOGIN_PATH}.`,
};

/** Methods that change something on the board (retry, remove, pause, ...). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Bull Board over every BullMQ queue of the shop, for ADMINs only (docs/queue-board.md):
 *
 * - POST /admin/session with an ADMIN's `Authorization: Bearer <token>` (verified like any
 *   /graphql request) sets a signed session cookie: HttpOnly, SameSite=Strict, Path
 *   /admin/queues, at most QUEUE_BOARD_SESSION_TTL_SECONDS (15 min) and never past the
 *   token. GET /admin/login is a page that does that for a browser.
 * - /admin/queues (the board's page and its JSON API) needs that cookie, and nothing else
 *   gets in: no cookie, a forged, expired or foreign one is 401.
 *
 * The Redis connection is opened by the first signed-in request, so a router whose board
 * nobody opens never talks to the queues' Redis.
 */
export function queueBoard(
  app: Express,
  { config, verifier, logger }: { config: BoardConfig; verifier: TokenVerifier; logger: Logger },
): { close: () => Promise<void> } {
  const ttlMs = config.QUEUE_BOARD_SESSION_TTL_SECONDS * 1000;
  const sessions = new BoardSessions(config.QUEUE_BOARD_SESSION_SECRET, ttlMs);
  // Secure wherever a browser reaches the router over TLS; plain http://localhost in
  // development (browsers keep Secure cookies only over https, localhost aside).
  const secure = (req: Request) => config.NODE_ENV === 'production' || req.secure;

  const serverAdapter = new ExpressAdapter().setBasePath(BOARD_PATH);
  const board = createBullBoard({
    queues: [],
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: 'Shop queues',
        miscLinks: [{ text: 'Sign out', url: LOGOUT_PATH }],
      },
    },
  });
  serverAdapter.getRouter().disable('x-powered-by');

  let queues: Queues | null = null;
  const connectOnce: RequestHandler = (_req, _res, next) => {
    if (!queues) {
      queues = new Queues({ redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX });
      const opened = queues;
      board.setQueues(
        Object.values(QueueName).map((name) => {
          const queue = opened.queue(name);
          // Without a listener BullMQ prints Redis outages to stderr; the board's requests
          // fail with a 500 meanwhile and work again once Redis is back.
          queue.on('error', (err) => logger.warn({ err, queue: name }, 'queue board: Redis error'));
          return new BullMQAdapter(queue);
        }),
      );
      logger.info({ prefix: config.QUEUE_PREFIX }, 'queue board connected to the queues');
    }
    next();
  };

  const requireSession: RequestHandler = (req, res, next) => {
    // Nothing of the board is cached by a browser or a proxy, and no other site frames it
    // (a click on a framed "Retry" or "Remove").
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('content-security-policy', "frame-ancestors 'none'");
    const session = sessions.check(cookieValue(req.headers.cookie, SESSION_COOKIE));
    if (!session.ok) {
      const message = SIGN_IN_AGAIN[session.reason];
      if (wantsPage(req)) {
        res
          .status(401)
          .type('html')
          .send(
            `<!doctype html><meta charset="utf-8"><title>Queue board</title>` +
              `<p>${message.replace(LOGIN_PATH, `<a href="${LOGIN_PATH}">${LOGIN_PATH}</a>`)}</p>`,
          );
      } else {
        refuse(res, 401, ErrorCode.UNAUTHENTICATED, message);
      }
      return;
    }
    if (!SAFE_METHODS.has(req.method)) {
      // SameSite=Strict already keeps the cookie off requests that other sites start; a
      // browser's Fetch Metadata also refuses a sibling subdomain (same site, other origin).
      const site = req.headers['sec-fetch-site'];
      if (site !== undefined && site !== 'same-origin') {
        refuse(res, 403, ErrorCode.FORBIDDEN, 'Queue board changes come from the board only.');
        return;
      }
      logger.info(
        { userId: session.userId, method: req.method, path: req.path },
        'queue board change',
      );
    }
    next();
  };

  app.use(BOARD_PATH, requireSession, connectOnce, serverAdapter.getRouter());

  app.post(SESSION_PATH, async (req, res, next) => {
    res.setHeader('cache-control', 'no-store');
    const authorization = req.headers.authorization;
    try {
      const identity = await verifier.fromAuthorizationHeader(authorization || undefined);
      if (!identity) {
        refuse(
          res,
          401,
          ErrorCode.UNAUTHENTICATED,
          'Send an ADMIN access token: Authorization: Bearer <token>.',
        );
        return;
      }
      if (identity.kind !== 'user' || !identity.roles.includes(Role.ADMIN)) {
        refuse(res, 403, ErrorCode.FORBIDDEN, 'The queue board is for ADMIN accounts.');
        return;
      }
      const now = Date.now();
      const { value, expiresAt } = sessions.issue(
        identity.userId,
        tokenExpiresAt(authorization!),
        now,
      );
      res.cookie(SESSION_COOKIE, value, {
        httpOnly: true,
        sameSite: 'strict',
        secure: secure(req),
        path: BOARD_PATH,
        maxAge: expiresAt - now,
      });
      logger.info({ userId: identity.userId }, 'queue board session issued');
      res.json({ board: `${BOARD_PATH}/`, expiresAt: new Date(expiresAt).toISOString() });
    } catch (error) {
      // A refused token (401) or keys that cannot be fetched (503) are the client's to
      // read; anything else goes to the shared error handler, logged and masked.
      if (error instanceof ShopError && error.code === ErrorCode.UNAUTHENTICATED) {
        refuse(res, 401, error.code, error.message);
        return;
      }
      if (error instanceof ShopError && error.code === ErrorCode.SERVICE_UNAVAILABLE) {
        logger.error({ err: error }, 'could not verify the access token');
        refuse(res, 503, error.code, error.message);
        return;
      }
      next(error);
    }
  });

  app.get(LOGIN_PATH, (_req, res) => {
    res
      .setHeader('content-security-policy', LOGIN_PAGE_CSP)
      .setHeader('cache-control', 'no-store')
      .type('html')
      .send(LOGIN_PAGE);
  });

  app.get(LOGOUT_PATH, (req, res) => {
    res.clearCookie(SESSION_COOKIE, {
      httpOnly: true,
      sameSite: 'strict',
      secure: secure(req),
      path: BOARD_PATH,
    });
    res.redirect(303, LOGIN_PATH);
  });

  return {
    close: async () => {
      await queues?.close();
    },
  };
}
