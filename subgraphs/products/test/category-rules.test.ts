import {
  categorySlug,
  createsCycle,
  normaliseCategoryName,
  slugify,
  withDescendants,
} from '../src/domain/category';

// electronics ─┬─ phones ── cases
//              └─ audio
// books
const tree = [
  { id: 'electronics', parentId: null },
  { id: 'phones', parentId: 'electronics' },
  { id: 'cases', parentId: 'phones' },
  { id: 'audio', parentId: 'electronics' },
  { id: 'books', parentId: null },
];

describe('createsCycle', () => {
  it('allows moves that keep a tree', () => {
    expect(createsCycle(tree, 'audio', 'phones')).toBe(false);
    expect(createsCycle(tree, 'phones', null)).toBe(false);
    expect(createsCycle(tree, 'books', 'cases')).toBe(false);
  });

  it('refuses a category as its own parent', () => {
    expect(createsCycle(tree, 'books', 'books')).toBe(true);
  });

  it('refuses a category below one of its descendants', () => {
    expect(createsCycle(tree, 'electronics', 'cases')).toBe(true);
    expect(createsCycle(tree, 'phones', 'cases')).toBe(true);
  });

  it('terminates on a loop already in the data', () => {
    const broken = [
      { id: 'a', parentId: 'b' },
      { id: 'b', parentId: 'a' },
      { id: 'c', parentId: null },
    ];
    expect(createsCycle(broken, 'c', 'a')).toBe(true);
  });
});

describe('withDescendants', () => {
  it('includes the category and every level below it', () => {
    expect(withDescendants(tree, 'electronics').sort()).toEqual(
      ['audio', 'cases', 'electronics', 'phones'].sort(),
    );
    expect(withDescendants(tree, 'books')).toEqual(['books']);
  });
});

describe('slugs', () => {
  it('are derived from names', () => {
    expect(slugify('Home & Kitchen')).toBe('home-kitchen');
    expect(slugify('  Crème Brûlée!  ')).toBe('creme-brulee');
  });

  it('are validated when given', () => {
    expect(categorySlug('my-slug', 'ignored')).toBe('my-slug');
    expect(() => categorySlug('Not A Slug', 'x')).toThrow(/slug/);
    expect(() => categorySlug(undefined, '!!!')).toThrow(/slug/);
  });
});

describe('category names', () => {
  it('collapse spaces', () => {
    expect(normaliseCategoryName('  Home   Kitchen ')).toBe('Home Kitchen');
  });

  it.each(['Home\nKitchen', 'Home\tKitchen', 'Sale \u202Eelas', 'Home\u0000', 'Home\u0085'])(
    'refuse control characters and direction overrides: %j',
    (name) => {
      expect(() => normaliseCategoryName(name)).toThrow(
        expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'name' } }),
      );
    },
  );
});
