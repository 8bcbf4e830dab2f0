import { z } from 'zod';

export { z };

/** Raised at start-up when the environment does not satisfy a service's config schema. */
export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: string[],
  ) {
    super(
      `${service}: invalid configuration\n` +
        problems.map((p) => `  - ${p}`).join('\n') +
        '\nSet these environment variables (see .env.example) and start again.',
    );
    this.name = 'ConfigError';
  }
}

/**
 * Reads a service's configuration once, from the given environment, through a zod schema
 * whose keys are the environment variable names. Every problem is reported at once and
 * names the variable, so a broken deployment says exactly what to fix.
 */
export function loadConfig<S extends z.ZodObject>(
  service: string,
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(
    service,
    result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      const value = env[name];
      return value === undefined || value === ''
        ? `${name} is required: ${issue.message}`
        : `${name}=${JSON.stringify(redact(name, value))} is invalid: ${issue.message}`;
    }),
  );
}

function redact(name: string, value: string): string {
  return /SECRET|PASSWORD|KEY|TOKEN/i.test(name) ? '***' : value;
}

/** Helpers for the shapes that every service's config uses. */
export const env = {
  // 0 asks the OS for a free port (tests, benchmarks).
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  url: (protocols: string[]) =>
    z.string().refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol.replace(/:$/, ''));
        } catch {
          return false;
        }
      },
      `must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`,
    ),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  list: () =>
    z
      .string()
      .default('')
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
  logLevel: () =>
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};
