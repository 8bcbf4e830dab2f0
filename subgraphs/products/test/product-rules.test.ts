import { Role, type Identity } from '@shop/auth';
import {
  adjustedStock,
  isVisible,
  normaliseSku,
  parseProductFilter,
  validateNewProduct,
  validateProductPatch,
} from '../src/domain/product';
import { escapeRegex, normaliseSearchText, searchPatterns } from '../src/domain/search';

const valid = {
  sku: ' ab-100 ',
  name: '  Kettle   1.7 l ',
  price: { amount: 3900, currency: 'eur' },
};

/** The `extensions.field` a validation error names. */
function fieldOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return (error as { extensions: { code: string; field?: string } }).extensions;
  }
  throw new Error('expected a validation error');
}

describe('validateNewProduct', () => {
  it('normalises sku, name, price and defaults', () => {
    expect(validateNewProduct(valid)).toEqual({
      sku: 'AB-100',
      name: 'Kettle 1.7 l',
      description: null,
      price: { amount: 3900, currency: 'EUR' },
      categoryId: null,
      stock: 0,
      active: true,
      attributes: [],
      images: [],
    });
  });

  it.each([
    ['sku', { sku: '  ' }],
    ['sku', { sku: 'has space' }],
    ['name', { name: '' }],
    ['price.amount', { price: { amount: 0, currency: 'EUR' } }],
    ['price.amount', { price: { amount: 19.99, currency: 'EUR' } }],
    ['price.currency', { price: { amount: 100, currency: 'XYZ' } }],
    ['stock', { stock: -1 }],
    ['stock', { stock: 1.5 }],
    ['categoryId', { categoryId: 'not-an-id' }],
    [
      'attributes',
      {
        attributes: [
          { name: 'size', value: 'M' },
          { name: 'Size', value: 'L' },
        ],
      },
    ],
    ['images', { images: ['javascript:alert(1)'] }],
    ['description', { description: 'x'.repeat(5001) }],
  ])('refuses a bad %s', (field, override) => {
    expect(fieldOf(() => validateNewProduct({ ...valid, ...override }))).toEqual({
      code: 'BAD_USER_INPUT',
      field,
    });
  });
});

describe('display text', () => {
  it.each([
    ['name', { name: 'Kettle\nFREE SHIPPING' }],
    ['name', { name: 'Kettle\r' + 'Refund: 0' }],
    ['name', { name: 'Kettle\tdeluxe' }],
    ['name', { name: 'Invoice \u202Efdp.exe' }],
    ['name', { name: 'Kettle \u2066hidden\u2069' }],
    ['name', { name: 'Kettle\u0007' }],
    ['sku', { sku: 'AB\u202E01' }],
    ['sku', { sku: 'AB\n01' }],
    ['description', { description: 'Line one\u001B[31m red' }],
    ['description', { description: 'Looks fine \u202Etxt.exe' }],
    ['attributes', { attributes: [{ name: 'colour\n', value: 'red\u202E' }] }],
    ['attributes', { attributes: [{ name: 'colour', value: 'red\r\nsize: XL' }] }],
    ['images', { images: ['https://img.shop.test/a\n.jpg'] }],
  ])('refuses control characters and direction overrides in %s', (field, override) => {
    expect(fieldOf(() => validateNewProduct({ ...valid, ...override }))).toEqual({
      code: 'BAD_USER_INPUT',
      field,
    });
    expect(fieldOf(() => validateProductPatch(override))).toEqual({
      code: 'BAD_USER_INPUT',
      field,
    });
  });

  it('keeps line breaks and tabs in descriptions and trims them around names', () => {
    const product = validateNewProduct({
      ...valid,
      name: '\n Kettle \t',
      description: 'Boils fast.\r\n\tQuiet too.\n',
    });
    expect(product.name).toBe('Kettle');
    expect(product.description).toBe('Boils fast.\r\n\tQuiet too.');
  });
});

describe('validateProductPatch', () => {
  it('changes only what is given and clears optional fields with null', () => {
    expect(validateProductPatch({ name: 'New name', description: null, categoryId: null })).toEqual(
      { name: 'New name', description: null, categoryId: null },
    );
  });

  it('refuses to remove a required field', () => {
    expect(fieldOf(() => validateProductPatch({ sku: null }))).toMatchObject({ field: 'sku' });
    expect(fieldOf(() => validateProductPatch({ price: null }))).toMatchObject({ field: 'price' });
  });
});

describe('normaliseSku', () => {
  it('compares case-insensitively by storing upper case', () => {
    expect(normaliseSku('tee-m.01_x')).toBe('TEE-M.01_X');
  });
});

describe('adjustedStock', () => {
  it('adds and removes units', () => {
    expect(adjustedStock(5, 3)).toBe(8);
    expect(adjustedStock(5, -5)).toBe(0);
  });

  it('never goes below zero', () => {
    expect(fieldOf(() => adjustedStock(2, -3))).toEqual({ code: 'BAD_USER_INPUT', field: 'delta' });
  });

  it('refuses zero and fractions', () => {
    expect(fieldOf(() => adjustedStock(2, 0))).toMatchObject({ field: 'delta' });
    expect(fieldOf(() => adjustedStock(2, 0.5))).toMatchObject({ field: 'delta' });
  });
});

describe('isVisible', () => {
  const admin: Identity = { kind: 'user', userId: 'a', roles: [Role.ADMIN], scopes: [] };
  const customer: Identity = { kind: 'user', userId: 'c', roles: [Role.CUSTOMER], scopes: [] };
  const live = { active: true, deletedAt: null };
  const inactive = { active: false, deletedAt: null };
  const deleted = { active: true, deletedAt: new Date() };

  it('shows live products to everyone', () => {
    expect(isVisible(live, null)).toBe(true);
    expect(isVisible(live, customer)).toBe(true);
  });

  it('hides inactive and deleted products from everyone but ADMINs', () => {
    for (const p of [inactive, deleted]) {
      expect(isVisible(p, null)).toBe(false);
      expect(isVisible(p, customer)).toBe(false);
      expect(isVisible(p, admin)).toBe(true);
    }
  });
});

describe('search normalisation', () => {
  it('lower-cases, strips accents and collapses whitespace', () => {
    expect(normaliseSearchText('Crème  BRÛLÉE', null, 'BK-01')).toBe('creme brulee bk-01');
  });

  it('turns a search into escaped words that must all match', () => {
    expect(searchPatterns('  Brûlée crème ')).toEqual(['brulee', 'creme']);
    expect(searchPatterns('c++ (2nd)')).toEqual(['c\\+\\+', '\\(2nd\\)']);
    expect(searchPatterns('')).toEqual([]);
    expect(searchPatterns(undefined)).toEqual([]);
  });

  it('escapes every regular-expression metacharacter', () => {
    const nasty = '.*+?^${}()|[]\\/-';
    expect(new RegExp(escapeRegex(nasty)).test(`x${nasty}y`)).toBe(true);
    expect(new RegExp(escapeRegex('a.c')).test('abc')).toBe(false);
  });

  it('refuses an over-long search', () => {
    expect(fieldOf(() => searchPatterns('x'.repeat(201)))).toMatchObject({
      field: 'filter.search',
    });
  });
});

describe('parseProductFilter', () => {
  it('validates prices and currency', () => {
    expect(parseProductFilter({ minPrice: 100, maxPrice: 200, currency: 'usd' }, true)).toEqual({
      activeOnly: true,
      searchPatterns: [],
      minPrice: 100,
      maxPrice: 200,
      currency: 'USD',
      inStock: null,
    });
    expect(fieldOf(() => parseProductFilter({ minPrice: 300, maxPrice: 200 }, true))).toMatchObject(
      { field: 'filter.maxPrice' },
    );
    expect(fieldOf(() => parseProductFilter({ minPrice: -1 }, true))).toMatchObject({
      field: 'filter.minPrice',
    });
    expect(fieldOf(() => parseProductFilter({ currency: 'EURO' }, true))).toMatchObject({
      field: 'filter.currency',
    });
  });
});
