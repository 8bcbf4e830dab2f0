import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from './services';

/** What a `${VAR:?message}` (required) variable is replaced with when checking the file. */
export const REQUIRED_PLACEHOLDER = 'required-value-placeholder';

/**
 * Resolves Docker Compose interpolation as it would run with none of the variables set:
 * `${VAR:-default}` / `${VAR-default}` give their default (interpolated in turn),
 * `${VAR:?message}` / `${VAR?message}` a placeholder (they are the secrets that an
 * operator must supply), `${VAR:+alt}` / `${VAR+alt}` nothing, and `$$` a literal `$`.
 * A bare `${VAR}` or `$VAR` throws: the file would depend on the caller's shell.
 */
export function interpolate(value: string): string {
  let out = '';
  let i = 0;
  while (i < value.length) {
    const char = value[i];
    if (char !== '$') {
      out += char;
      i += 1;
      continue;
    }
    const next = value[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      const end = closingBrace(value, i + 2);
      out += resolveExpression(value.slice(i + 2, end));
      i = end + 1;
    } else if (next !== undefined && /[A-Za-z_]/.test(next)) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(value.slice(i + 1))?.[0];
      throw new Error(`$${name} has no default: write \${${name}:-default} or \${${name}:?why}`);
    } else {
      out += '$';
      i += 1;
    }
  }
  return out;
}

function closingBrace(value: string, from: number): number {
  let depth = 1;
  for (let i = from; i < value.length; i += 1) {
    if (value[i] === '$' && value[i + 1] === '{') {
      depth += 1;
      i += 1;
    } else if (value[i] === '}') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  throw new Error(`unclosed \${ in ${JSON.stringify(value)}`);
}

function resolveExpression(expression: string): string {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(:?[-?+])?([\s\S]*)$/.exec(expression);
  if (!match) throw new Error(`invalid interpolation \${${expression}}`);
  const [, name, operator, argument = ''] = match;
  switch (operator) {
    case ':-':
    case '-':
      return interpolate(argument);
    case ':?':
    case '?':
      return REQUIRED_PLACEHOLDER;
    case ':+':
    case '+':
      return '';
    default:
      throw new Error(`\${${name}} has no default: write \${${name}:-default} or \${${name}:?why}`);
  }
}

export interface HealthCheck {
  test?: string | string[];
  disable?: boolean;
}

export interface BuildSpec {
  context?: string;
  dockerfile?: string;
  target?: string;
  args?: Record<string, string | number> | string[];
}

export interface ComposeService {
  image?: string;
  build?: BuildSpec | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  healthcheck?: HealthCheck;
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: (string | number | { target: number; published?: string | number })[];
  restart?: string;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
}

export const composePath = path.join(repoRoot, 'docker-compose.yml');

/** docker-compose.yml as Compose reads it: anchors, aliases and `<<` merge keys resolved. */
export function loadCompose(): ComposeFile {
  return parse(readFileSync(composePath, 'utf8'), { merge: true }) as ComposeFile;
}

/** A `KEY=value` list or a map, as a map of strings; a key without value (shell) is left out. */
function toMap(
  entries: Record<string, string | number | boolean | null> | string[] | undefined,
): Record<string, string> {
  const map: Record<string, string> = {};
  if (Array.isArray(entries)) {
    for (const entry of entries) {
      const eq = entry.indexOf('=');
      if (eq > 0) map[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
  } else if (entries) {
    for (const [key, value] of Object.entries(entries)) {
      if (value !== null) map[key] = String(value);
    }
  }
  return map;
}

/** A service's environment after interpolation (see `interpolate`). */
export function environmentOf(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(toMap(service.environment)).map(([key, value]) => [key, interpolate(value)]),
  );
}

export function buildOf(service: ComposeService): BuildSpec | undefined {
  return typeof service.build === 'string' ? { context: service.build } : service.build;
}

export function buildArgsOf(service: ComposeService): Record<string, string> {
  return toMap(buildOf(service)?.args);
}

/** depends_on in its long form: target service -> condition. */
export function dependenciesOf(service: ComposeService): Record<string, string> {
  const deps = service.depends_on;
  if (!deps) return {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((name) => [name, 'service_started']));
  return Object.fromEntries(
    Object.entries(deps).map(([name, spec]) => [name, spec?.condition ?? 'service_started']),
  );
}

export interface PublishedPort {
  hostIp?: string;
  published?: number;
  target: number;
}

/** `ports` entries in both syntaxes: "[ip:]published:target[/proto]" and the long form. */
export function portsOf(service: ComposeService): PublishedPort[] {
  return (service.ports ?? []).map((entry) => {
    if (typeof entry === 'object') {
      return {
        target: Number(entry.target),
        published: entry.published === undefined ? undefined : Number(entry.published),
      };
    }
    const parts = String(entry)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    const target = Number(parts.pop());
    const published = parts.length > 0 ? Number(parts.pop()) : undefined;
    return { hostIp: parts.pop(), published, target };
  });
}

/** The healthcheck command as one string, for matching; undefined when none is set. */
export function healthCommand(service: ComposeService): string | undefined {
  const check = service.healthcheck;
  if (!check || check.disable || check.test === undefined) return undefined;
  const test = Array.isArray(check.test) ? check.test : ['CMD-SHELL', check.test];
  if (test[0] === 'NONE' || test.length < 2) return undefined;
  return test.slice(1).join(' ');
}
