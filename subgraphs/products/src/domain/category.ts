import { BadUserInputError } from '@shop/errors';
import { checkDisplayText } from '@shop/subgraph-kit';

/** What the category rules need to know about a category. */
export interface CategoryNode {
  id: string;
  parentId: string | null;
}

/** Like product names: one line, no text-direction overrides (checked before collapsing). */
export function normaliseCategoryName(raw: string): string {
  const name = checkDisplayText(raw.trim(), 'name').replace(/\s+/g, ' ');
  if (name.length < 1 || name.length > 100) {
    throw new BadUserInputError('The name is required and must be at most 100 characters.', 'name');
  }
  return name;
}

/** "Home & Kitchen" → "home-kitchen": lower case, accents removed, words joined by "-". */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100)
    .replace(/-+$/, '');
}

/** A slug given by an administrator, or one derived from the name. */
export function categorySlug(slug: string | null | undefined, name: string): string {
  const value = slug === null || slug === undefined ? slugify(name) : slug.trim();
  if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(value) || value.length > 100) {
    throw new BadUserInputError(
      slug === null || slug === undefined
        ? 'Cannot derive a slug from this name; give one (lower-case letters, digits and "-").'
        : 'A slug is lower-case letters and digits separated by single "-", e.g. home-kitchen.',
      'slug',
    );
  }
  return value;
}

/**
 * True when making `newParentId` the parent of `id` would close a loop: `id` itself is
 * `newParentId` or one of its ancestors. Stops on loops already in the data, so a bad
 * record cannot hang the check.
 */
export function createsCycle(
  categories: readonly CategoryNode[],
  id: string,
  newParentId: string | null,
): boolean {
  const parentOf = new Map(categories.map((c) => [c.id, c.parentId]));
  const seen = new Set<string>();
  for (let at = newParentId; at !== null && at !== undefined; at = parentOf.get(at) ?? null) {
    if (at === id) return true;
    if (seen.has(at)) return true;
    seen.add(at);
  }
  return false;
}

/** The category and every category below it, for "products in this category". */
export function withDescendants(categories: readonly CategoryNode[], rootId: string): string[] {
  const children = new Map<string, string[]>();
  for (const c of categories) {
    if (c.parentId === null) continue;
    children.set(c.parentId, [...(children.get(c.parentId) ?? []), c.id]);
  }
  const result: string[] = [];
  const seen = new Set<string>();
  const queue = [rootId];
  while (queue.length > 0) {
    const id = queue.shift()!;
    if (seen.has(id)) continue;
    seen.add(id);
    result.push(id);
    queue.push(...(children.get(id) ?? []));
  }
  return result;
}
