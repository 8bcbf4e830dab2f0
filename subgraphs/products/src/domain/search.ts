import { BadUserInputError } from '@shop/errors';

export const MAX_SEARCH_LENGTH = 200;
const MAX_SEARCH_TERMS = 10;

/**
 * The text a product is found by: name, description and sku, lower-cased, accents removed
 * ("Crème" → "creme"), whitespace collapsed. Stored on the product as `searchText`, because
 * FerretDB 1.x has no `$text` index and case-insensitive regular expressions cannot use an
 * index anyway; matching a pre-normalised field with a plain regex works the same on
 * FerretDB and MongoDB.
 */
export function normaliseSearchText(...parts: (string | null | undefined)[]): string {
  return parts
    .filter((p): p is string => typeof p === 'string' && p !== '')
    .join(' ')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** Escapes every regular-expression metacharacter, so user input only ever matches literally. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/**
 * A search string as the patterns every one of which must match `searchText` (words in
 * any order): normalised like the stored text, escaped, at most 10 words. Empty → none.
 */
export function searchPatterns(raw: string | null | undefined): string[] {
  if (raw === null || raw === undefined) return [];
  if (raw.length > MAX_SEARCH_LENGTH) {
    throw new BadUserInputError(
      `The search text must be at most ${MAX_SEARCH_LENGTH} characters long.`,
      'filter.search',
    );
  }
  const words = [...new Set(normaliseSearchText(raw).split(' ').filter(Boolean))];
  return words.slice(0, MAX_SEARCH_TERMS).map(escapeRegex);
}
