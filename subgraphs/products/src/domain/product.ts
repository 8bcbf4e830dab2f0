import { hasRole, Role, type Identity } from '@shop/auth';
import { BadUserInputError } from '@shop/errors';
import { isCurrency, parseMoney, type Money } from '@shop/money';
import { checkDisplayText } from '@shop/subgraph-kit';
import { searchPatterns } from './search';

/** Upper bound of a product's stock: far beyond any shop, far below unsafe integers. */
export const MAX_STOCK = 1_000_000_000;
export const MAX_ATTRIBUTES = 50;
export const MAX_IMAGES = 20;

export interface ProductAttribute {
  name: string;
  value: string;
}

/** The validated, normalised fields of a new product. */
export interface NewProduct {
  sku: string;
  name: string;
  description: string | null;
  price: Money;
  categoryId: string | null;
  stock: number;
  active: boolean;
  attributes: ProductAttribute[];
  images: string[];
}

/** Fields an update may change; absent ones stay as they are. Stock is not among them. */
export type ProductPatch = Partial<Omit<NewProduct, 'stock'>>;

interface ProductInput {
  sku?: string | null;
  name?: string | null;
  description?: string | null;
  price?: { amount: number; currency: string } | null;
  categoryId?: string | null;
  stock?: number | null;
  active?: boolean | null;
  attributes?: ProductAttribute[] | null;
  images?: string[] | null;
}

const OBJECT_ID = /^[0-9a-f]{24}$/i;
/**
 * Product and category ids are MongoDB ObjectIds; anything else cannot exist. Takes any
 * value: ids also arrive inside entity representations, which no schema types.
 */
export const isObjectId = (id: unknown): id is string =>
  typeof id === 'string' && OBJECT_ID.test(id);

/** SKUs compare case-insensitively: stored trimmed and upper case. */
export function normaliseSku(raw: string): string {
  const sku = raw.trim().toUpperCase();
  if (!/^[A-Z0-9][A-Z0-9._-]{0,63}$/.test(sku)) {
    throw new BadUserInputError(
      'The sku is required: 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit.',
      'sku',
    );
  }
  return sku;
}

/**
 * Product names appear on storefronts, invoices and e-mails: a line break or a
 * text-direction override inside one would forge lines or show a different name than the
 * one stored, so they are refused before whitespace is collapsed (which would hide a line
 * break as a space). Surrounding whitespace is only trimmed away.
 */
export function normaliseProductName(raw: string): string {
  const name = checkDisplayText(raw.trim(), 'name').replace(/\s+/g, ' ');
  if (name.length < 1 || name.length > 200) {
    throw new BadUserInputError('The name is required and must be at most 200 characters.', 'name');
  }
  return name;
}

export function normaliseDescription(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined || raw.trim() === '') return null;
  // Several lines and tabs are fine in a description; other control characters and
  // text-direction overrides are not.
  const description = checkDisplayText(raw.trim(), 'description', { multiline: true });
  if (description.length > 5000) {
    throw new BadUserInputError('The description must be at most 5000 characters.', 'description');
  }
  return description;
}

/** A stock level as entered by an administrator: a whole number, 0 or more. */
export function checkStock(stock: number, field = 'stock'): number {
  if (!Number.isSafeInteger(stock) || stock < 0 || stock > MAX_STOCK) {
    throw new BadUserInputError(`The stock must be a whole number from 0 to ${MAX_STOCK}.`, field);
  }
  return stock;
}

export function normaliseAttributes(
  raw: ProductAttribute[] | null | undefined,
): ProductAttribute[] {
  // Attributes are shown as one-line "name: value" pairs next to the product name.
  const attributes = (raw ?? []).map((a) => ({
    name: checkDisplayText(a.name.trim(), 'attributes'),
    value: checkDisplayText(a.value.trim(), 'attributes'),
  }));
  const names = new Set<string>();
  if (attributes.length > MAX_ATTRIBUTES) {
    throw new BadUserInputError(
      `A product has at most ${MAX_ATTRIBUTES} attributes.`,
      'attributes',
    );
  }
  for (const a of attributes) {
    if (a.name.length < 1 || a.name.length > 100 || a.value.length > 500) {
      throw new BadUserInputError(
        'Attribute names are 1 to 100 characters, values at most 500.',
        'attributes',
      );
    }
    const key = a.name.toLowerCase();
    if (names.has(key)) {
      throw new BadUserInputError(`The attribute "${a.name}" is given twice.`, 'attributes');
    }
    names.add(key);
  }
  return attributes;
}

export function normaliseImages(raw: string[] | null | undefined): string[] {
  // The URL parser silently drops tabs and line breaks, so they are refused before it.
  const images = (raw ?? []).map((i) => checkDisplayText(i.trim(), 'images'));
  if (images.length > MAX_IMAGES) {
    throw new BadUserInputError(`A product has at most ${MAX_IMAGES} images.`, 'images');
  }
  for (const image of images) {
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(image).protocol) && image.length <= 2000;
    } catch {
      ok = false;
    }
    if (!ok) throw new BadUserInputError('Images must be http(s) URLs.', 'images');
  }
  return images;
}

function checkCategoryId(id: string | null | undefined): string | null {
  if (id === null || id === undefined || id === '') return null;
  if (!isObjectId(id)) throw new BadUserInputError('There is no such category.', 'categoryId');
  return id;
}

/** Validates createProduct's input; whether the category exists is checked by the caller. */
export function validateNewProduct(
  input: ProductInput & { sku: string; name: string; price: { amount: number; currency: string } },
): NewProduct {
  return {
    sku: normaliseSku(input.sku),
    name: normaliseProductName(input.name),
    description: normaliseDescription(input.description),
    price: parseMoney(input.price, 'price'),
    categoryId: checkCategoryId(input.categoryId),
    stock: checkStock(input.stock ?? 0),
    active: input.active ?? true,
    attributes: normaliseAttributes(input.attributes),
    images: normaliseImages(input.images),
  };
}

/**
 * Validates updateProduct's input. Left-out fields stay unchanged; null clears the
 * optional ones (description, category) and is refused for required ones.
 */
export function validateProductPatch(input: ProductInput): ProductPatch {
  const patch: ProductPatch = {};
  const required = (field: string) =>
    new BadUserInputError(`The ${field} cannot be removed.`, field);
  if (input.sku !== undefined) {
    if (input.sku === null) throw required('sku');
    patch.sku = normaliseSku(input.sku);
  }
  if (input.name !== undefined) {
    if (input.name === null) throw required('name');
    patch.name = normaliseProductName(input.name);
  }
  if (input.description !== undefined) patch.description = normaliseDescription(input.description);
  if (input.price !== undefined) {
    if (input.price === null) throw required('price');
    patch.price = parseMoney(input.price, 'price');
  }
  if (input.categoryId !== undefined) patch.categoryId = checkCategoryId(input.categoryId);
  if (input.active !== undefined) {
    if (input.active === null) throw required('active');
    patch.active = input.active;
  }
  if (input.attributes !== undefined) patch.attributes = normaliseAttributes(input.attributes);
  if (input.images !== undefined) patch.images = normaliseImages(input.images);
  return patch;
}

/** An administrator's stock adjustment: a whole number other than 0, within MAX_STOCK. */
export function checkStockDelta(delta: number): number {
  if (!Number.isSafeInteger(delta) || delta === 0 || Math.abs(delta) > MAX_STOCK) {
    throw new BadUserInputError(
      `delta must be a whole number other than 0, at most ${MAX_STOCK} either way.`,
      'delta',
    );
  }
  return delta;
}

/** Stock after an administrator's adjustment; never below zero. */
export function adjustedStock(current: number, delta: number): number {
  const next = current + checkStockDelta(delta);
  if (next < 0) {
    throw new BadUserInputError(
      `Only ${current} in stock: cannot remove ${-delta}. Stock never goes below 0.`,
      'delta',
    );
  }
  if (next > MAX_STOCK) {
    throw new BadUserInputError(`Stock cannot exceed ${MAX_STOCK}.`, 'delta');
  }
  return next;
}

/** ADMINs see everything; everyone else (anonymous, customers, services) live products only. */
export function seesHiddenProducts(identity: Identity | null): boolean {
  return hasRole(identity, Role.ADMIN);
}

export function isVisible(
  product: { active: boolean; deletedAt: Date | null },
  identity: Identity | null,
): boolean {
  return seesHiddenProducts(identity) || (product.active && product.deletedAt === null);
}

export interface ProductFilterInput {
  search?: string | null;
  categoryId?: string | null;
  minPrice?: number | null;
  maxPrice?: number | null;
  currency?: string | null;
  inStock?: boolean | null;
}

/** A validated product filter as the store understands it (categories resolved by the caller). */
export interface ProductQuery {
  /** Only active products (deleted ones are never listed). */
  activeOnly: boolean;
  /** Escaped patterns that must all occur in `searchText`. */
  searchPatterns: string[];
  /** null: any category; an empty list matches nothing. */
  categoryIds: string[] | null;
  minPrice: number | null;
  maxPrice: number | null;
  currency: string | null;
  inStock: boolean | null;
}

export function parseProductFilter(
  filter: ProductFilterInput | null | undefined,
  activeOnly: boolean,
): Omit<ProductQuery, 'categoryIds'> {
  const price = (value: number | null | undefined, field: string): number | null => {
    if (value === null || value === undefined) return null;
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new BadUserInputError(
        `${field} must be a whole number of minor units (cents), 0 or more.`,
        `filter.${field}`,
      );
    }
    return value;
  };
  const minPrice = price(filter?.minPrice, 'minPrice');
  const maxPrice = price(filter?.maxPrice, 'maxPrice');
  if (minPrice !== null && maxPrice !== null && minPrice > maxPrice) {
    throw new BadUserInputError('maxPrice must not be below minPrice.', 'filter.maxPrice');
  }
  let currency: string | null = null;
  if (filter?.currency !== null && filter?.currency !== undefined) {
    currency = filter.currency.trim().toUpperCase();
    if (!isCurrency(currency)) {
      throw new BadUserInputError(
        'currency must be an ISO 4217 code such as EUR or USD.',
        'filter.currency',
      );
    }
  }
  return {
    activeOnly,
    searchPatterns: searchPatterns(filter?.search),
    minPrice,
    maxPrice,
    currency,
    inStock: filter?.inStock ?? null,
  };
}
