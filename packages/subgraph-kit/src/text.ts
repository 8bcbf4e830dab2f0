import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, visit, type ASTNode, type DocumentNode } from 'graphql';
import { BadUserInputError } from '@shop/errors';

/**
 * Characters no store of the shop can keep: NUL (PostgreSQL text and MongoDB keys refuse
 * it) and half of a UTF-16 surrogate pair (not encodable as UTF-8, so neither database
 * nor the JSON a client receives can hold it).
 */
const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Characters a one-line display text (a name, an address line) must not contain: control
 * characters (CR/LF would forge lines in e-mails, labels and logs) and the Unicode
 * embedding, override and isolate marks that make text render in another order than it
 * is stored (an order for "Bob" that displays as someone else's name).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NOT_ONE_LINE = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/;

/** Multi-line text (tracking notes, descriptions) may break lines and tab; nothing else. */
const NOT_MULTI_LINE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;

/** True when a store would refuse `value` (NUL or a lone surrogate). */
export function hasUnstorableCharacters(value: string): boolean {
  return UNSTORABLE.test(value);
}

/**
 * Checks text a person typed that other people will see. `field` names the input (e.g.
 * `input.line1`) so a form can point at it. One-line text refuses control and
 * bidirectional override characters; multi-line text allows line breaks and tabs.
 */
export function checkDisplayText(
  value: string,
  field: string,
  { multiline = false }: { multiline?: boolean } = {},
): string {
  if (hasUnstorableCharacters(value) || (multiline ? NOT_MULTI_LINE : NOT_ONE_LINE).test(value)) {
    throw new BadUserInputError(
      `${field} contains characters that are not allowed (control characters or ` +
        `text-direction overrides${multiline ? '' : ', or a line break'}).`,
      field,
    );
  }
  return value;
}

/** Finds the first string inside a variable value that no store could keep; its path. */
function unstorableIn(value: unknown, path: string): string | null {
  if (typeof value === 'string') return hasUnstorableCharacters(value) ? path : null;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = unstorableIn(item, `${path}[${index}]`);
      if (found) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = unstorableIn(item, `${path}.${key}`);
      if (found) return found;
    }
  }
  return null;
}

/**
 * What `unstorableLiteralIn` found per document. Apollo Server keeps one parsed document
 * per distinct query, so the syntax tree is walked once per query, not once per request.
 */
const literalFindings = new WeakMap<DocumentNode, string | null>();

/** The argument / input-field path of a string literal in the document, e.g. `input.name`. */
function unstorableLiteralIn(document: DocumentNode): string | null {
  const known = literalFindings.get(document);
  if (known !== undefined) return known;
  let found: string | null = null;
  visit(document, {
    StringValue(node, _key, parent, _path, ancestors) {
      if (found || !hasUnstorableCharacters(node.value)) return;
      const names = [...(ancestors as ASTNode[]), parent as ASTNode]
        .filter(
          (a) => a && 'kind' in a && (a.kind === Kind.ARGUMENT || a.kind === Kind.OBJECT_FIELD),
        )
        .map((a) => (a as { name: { value: string } }).name.value);
      found = names.join('.') || 'a string';
    },
  });
  literalFindings.set(document, found);
  return found;
}

/**
 * Refuses, before any resolver runs, an operation whose variables or literals hold a
 * string no store can keep — so no write is attempted, and the client learns which input
 * to fix instead of an INTERNAL_SERVER_ERROR from the database. HTTP 400: nothing ran.
 */
export const unstorableTextPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ request, document }) {
        const field =
          unstorableIn(request.variables ?? {}, '')?.replace(/^\./, '') ??
          unstorableLiteralIn(document);
        if (field) {
          const error = new BadUserInputError(
            `${field} contains a NUL character or invalid Unicode (a lone surrogate); ` +
              'send well-formed UTF-8 text.',
            field,
          );
          error.extensions.http = { status: 400 };
          throw error;
        }
      },
    };
  },
};
