import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from '@shop/config';
import { telemetryConfigSchema } from '../../../packages/telemetry/src/config';
import { routerConfigSchema, subgraphUrlVariable } from '../../../router/src/config';
import { cartConfigSchema } from '../../../subgraphs/cart/src/config';
import { deliveryConfigSchema } from '../../../subgraphs/delivery/src/config';
import { notificationsConfigSchema } from '../../../subgraphs/notifications/src/config';
import { ordersConfigSchema } from '../../../subgraphs/orders/src/config';
import { productsConfigSchema } from '../../../subgraphs/products/src/config';
import { usersConfigSchema } from '../../../subgraphs/users/src/config';

/** `users` → USERS_SUBGRAPH_URL: the router's override of a subgraph's routing URL. */
export { subgraphUrlVariable };

export const repoRoot = path.resolve(__dirname, '../../..');

/**
 * Each Node service's config schema, by workspace folder (the Dockerfile's SERVICE build
 * arg). A static map on purpose: a new service is one import and one line here.
 */
export const configSchemas: Record<string, z.ZodType> = {
  router: routerConfigSchema,
  'subgraphs/users': usersConfigSchema,
  'subgraphs/products': productsConfigSchema,
  'subgraphs/cart': cartConfigSchema,
  'subgraphs/orders': ordersConfigSchema,
  'subgraphs/delivery': deliveryConfigSchema,
  'subgraphs/notifications': notificationsConfigSchema,
};

/** "Where things listen" in docs/api.md, by workspace folder. */
export const apiPorts: Record<string, number> = {
  router: 4000,
  'subgraphs/users': 4001,
  'subgraphs/products': 4002,
  'subgraphs/cart': 4003,
  'subgraphs/orders': 4004,
  'subgraphs/delivery': 4005,
  'subgraphs/notifications': 4006,
};

/**
 * URLs of the storefront that a third party sends the customer's browser to (PayPal's
 * return and cancel pages): the browser resolves them, not a service of the deployment.
 */
export const BROWSER_URLS: ReadonlySet<string> = new Set([
  'PAYPAL_RETURN_URL',
  'PAYPAL_CANCEL_URL',
]);

/** The variable a service reads its port from: ROUTER_PORT, USERS_PORT, ORDERS_PORT, ... */
export function portVariable(workspace: string): string {
  return `${path.basename(workspace).toUpperCase()}_PORT`;
}

/** Kubernetes Deployments and compose services are named after the workspace's folder. */
export function workspaceOfName(name: string): string {
  return name === 'router' ? 'router' : `subgraphs/${name}`;
}

interface PackageJson {
  name?: string;
  workspaces?: string[];
  scripts?: Record<string, string>;
}

export function readPackageJson(dir: string): PackageJson {
  return JSON.parse(readFileSync(path.join(repoRoot, dir, 'package.json'), 'utf8')) as PackageJson;
}

/**
 * Why `dir` is not a workspace of the root package.json (npm workspaces), or undefined
 * when it is one. Patterns are folder paths where a segment may be `*`.
 */
export function whyNotAWorkspace(dir: string): string | undefined {
  if (!existsSync(path.join(repoRoot, dir, 'package.json'))) {
    return `${dir}/package.json does not exist`;
  }
  const patterns = readPackageJson('.').workspaces ?? [];
  const segments = dir.split('/');
  const listed = patterns.some((pattern) => {
    const parts = pattern.replace(/\/$/, '').split('/');
    return (
      parts.length === segments.length &&
      parts.every((part, i) => part === '*' || part === segments[i])
    );
  });
  return listed ? undefined : `${dir} is not listed in the root package.json "workspaces"`;
}

export interface SchemaCheck {
  ok: boolean;
  /** Human-readable problems: failed rules and variables the schema does not declare. */
  problems: string[];
}

/**
 * Parses an environment as the service itself would at start-up (loadConfig), and lists
 * the variables that the schema does not declare (a typo there is silently ignored by
 * the service: zod drops unknown keys).
 */
export function checkEnvironment(
  workspace: string,
  environment: Record<string, string>,
): SchemaCheck {
  const schema = configSchemas[workspace];
  if (!schema) {
    return {
      ok: false,
      problems: [`no config schema for ${workspace}: add it to configSchemas in ${__filename}`],
    };
  }
  const problems: string[] = [];
  const result = schema.safeParse(environment);
  if (!result.success) {
    for (const issue of result.error.issues) {
      problems.push(`${issue.path.join('.') || '(environment)'}: ${issue.message}`);
    }
  }
  // Every process also reads the standard OTEL_* variables, through @shop/telemetry.
  const tracing = telemetryConfigSchema.safeParse(environment);
  if (!tracing.success) {
    for (const issue of tracing.error.issues)
      problems.push(`${issue.path.join('.')}: ${issue.message}`);
  }
  const known = declaredVariables(schema);
  if (known) {
    const telemetry = declaredVariables(telemetryConfigSchema)!;
    for (const name of Object.keys(environment)) {
      if (!known.has(name) && !telemetry.has(name)) {
        problems.push(`${name}: not a variable of ${workspace}'s config`);
      }
    }
  }
  return { ok: problems.length === 0, problems };
}

/** The variable names of a z.object schema (undefined for other shapes). */
export function declaredVariables(schema: z.ZodType): Set<string> | undefined {
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape;
  return shape && typeof shape === 'object' ? new Set(Object.keys(shape)) : undefined;
}

/**
 * The scopes each service's OAuth client needs at users, by workspace: orders reads
 * addresses and reserves stock, delivery reads who owns an order and where it goes,
 * notifications reads recipients and order lines.
 */
export const OAUTH_SCOPES: Record<string, string[]> = {
  'subgraphs/orders': ['users:read', 'products:reserve'],
  'subgraphs/delivery': ['orders:read'],
  'subgraphs/notifications': ['users:read', 'orders:read'],
};

export interface OAuthClientEntry {
  clientId: string;
  secret: string;
  scopes: string[];
}

/** Users' OAUTH_CLIENTS as users itself parses it (its config schema), or the problems. */
export function oauthClientsOf(usersEnvironment: Record<string, string>): OAuthClientEntry[] {
  const result = usersConfigSchema.safeParse(usersEnvironment);
  if (!result.success) {
    throw new Error(result.error.issues.map((issue) => issue.message).join('; '));
  }
  return result.data.OAUTH_CLIENTS;
}

/**
 * Whether users would grant a service's token: an OAUTH_CLIENTS entry with the service's
 * OAUTH_CLIENT_ID (its config default when the environment leaves it out), the same secret
 * and every scope the service needs (OAUTH_SCOPES). Returned as an object that names what
 * is wrong, for readable test failures.
 */
export function clientPairing(
  workspace: string,
  serviceEnvironment: Record<string, string>,
  usersEnvironment: Record<string, string>,
): {
  clientId: string | undefined;
  listed: boolean;
  secretMatches: boolean;
  missingScopes: string[];
} {
  const clientId = settingOf(workspace, serviceEnvironment, 'OAUTH_CLIENT_ID') as
    string | undefined;
  const entry = oauthClientsOf(usersEnvironment).find((client) => client.clientId === clientId);
  return {
    clientId,
    listed: entry !== undefined,
    secretMatches: entry !== undefined && entry.secret === serviceEnvironment.OAUTH_CLIENT_SECRET,
    missingScopes: (OAUTH_SCOPES[workspace] ?? []).filter(
      (scope) => !entry?.scopes.includes(scope),
    ),
  };
}

/**
 * One setting as the service would see it after start-up validation, its default applied
 * when the environment leaves it out; undefined when the schema has no such variable.
 */
export function settingOf(
  workspace: string,
  environment: Record<string, string>,
  variable: string,
): unknown {
  const schema = configSchemas[workspace];
  if (!schema) throw new Error(`no config schema for ${workspace}`);
  const result = schema.safeParse(environment);
  if (!result.success) {
    throw new Error(
      `${workspace}: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return (result.data as Record<string, unknown>)[variable];
}

/** Whether a service's config reads a variable at all. */
export function declares(workspace: string, variable: string): boolean {
  const schema = configSchemas[workspace];
  return schema !== undefined && (declaredVariables(schema)?.has(variable) ?? false);
}

/**
 * The PostgreSQL databases that an environment names, database by variable. A service with
 * one owns a store that its migration (a `<service>-migrate` job) prepares.
 */
export function postgresDatabasesOf(environment: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environment).flatMap(([variable, value]) =>
      /^postgres(ql)?:/.test(value) ? [[variable, new URL(value).pathname.slice(1)]] : [],
    ),
  );
}

/**
 * How long products keeps the units held for a checkout before they go back on sale
 * unclaimed (STOCK_HOLD_CLAIM_MS), against how long orders' checkout may take before it
 * claims them (CHECKOUT_TIMEOUT_MS), defaults applied. A window shorter than the checkout
 * sells a slow checkout's units to someone else.
 */
export function stockHoldWindow(
  productsEnvironment: Record<string, string>,
  ordersEnvironment: Record<string, string>,
): { claimMs: number; checkoutMs: number } {
  return {
    claimMs: Number(settingOf('subgraphs/products', productsEnvironment, 'STOCK_HOLD_CLAIM_MS')),
    checkoutMs: Number(settingOf('subgraphs/orders', ordersEnvironment, 'CHECKOUT_TIMEOUT_MS')),
  };
}
