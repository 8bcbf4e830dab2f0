// GraphQL operations as storefronts, back offices and other services send them.
export const PRODUCT_FIELDS =
  'id sku name description price { amount currency } stock inStock active category { id name } attributes { name value } images createdAt deletedAt';

export const PRODUCT = `query Product($id: ID!) { product(id: $id) { ${PRODUCT_FIELDS} } }`;
export const PRODUCTS = `query Products($filter: ProductFilter, $first: Int, $after: String) {
  products(filter: $filter, first: $first, after: $after) {
    totalCount
    edges { cursor node { id sku name price { amount currency } stock } }
    pageInfo { hasNextPage endCursor }
  }
}`;
export const CATEGORIES = `query { categories { id name slug parent { id slug } children { id slug } } }`;
export const CATEGORY_PRODUCTS = `query CategoryProducts($id: ID!, $first: Int, $after: String) {
  category(id: $id) {
    slug
    products(first: $first, after: $after) { totalCount edges { node { sku } } pageInfo { hasNextPage endCursor } }
  }
}`;
export const CREATE_PRODUCT = `mutation CreateProduct($input: CreateProductInput!) {
  createProduct(input: $input) { ${PRODUCT_FIELDS} }
}`;
export const UPDATE_PRODUCT = `mutation UpdateProduct($id: ID!, $input: UpdateProductInput!) {
  updateProduct(id: $id, input: $input) { ${PRODUCT_FIELDS} }
}`;
export const DELETE_PRODUCT = `mutation DeleteProduct($id: ID!) { deleteProduct(id: $id) }`;
export const ADJUST_STOCK = `mutation AdjustStock($productId: ID!, $delta: Int!) {
  adjustStock(productId: $productId, delta: $delta) { id stock inStock }
}`;
export const CREATE_CATEGORY = `mutation CreateCategory($input: CreateCategoryInput!) {
  createCategory(input: $input) { id name slug parent { id } }
}`;
export const UPDATE_CATEGORY = `mutation UpdateCategory($id: ID!, $input: UpdateCategoryInput!) {
  updateCategory(id: $id, input: $input) { id name slug parent { id } }
}`;
export const PRODUCT_ENTITIES = `query($reps: [_Any!]!) {
  _entities(representations: $reps) { ... on Product { id name stock price { amount currency } active } }
}`;
export const CATEGORY_ENTITIES = `query($reps: [_Any!]!) {
  _entities(representations: $reps) { ... on Category { id name slug } }
}`;
export const RESERVE = `mutation Reserve($orderId: ID!, $lines: [StockLineInput!]!) {
  reserveStock(orderId: $orderId, lines: $lines) { orderId status lines { productId quantity } }
}`;
export const RELEASE = `mutation Release($orderId: ID!) {
  releaseStock(orderId: $orderId) { orderId status lines { productId quantity } }
}`;
export const COMMIT = `mutation Commit($orderId: ID!) {
  commitStock(orderId: $orderId) { orderId status lines { productId quantity } }
}`;
export const RESTOCK = `mutation Restock($orderId: ID!) {
  restockStock(orderId: $orderId) { orderId status lines { productId quantity } }
}`;

let counter = 0;
/** A unique, valid createProduct input. */
export function newProduct(overrides: Record<string, unknown> = {}) {
  counter += 1;
  return {
    sku: `SKU-${Date.now().toString(36)}-${counter}`,
    name: `Product ${counter}`,
    description: `A fine product, number ${counter}.`,
    price: { amount: 1000 + counter, currency: 'EUR' },
    stock: 10,
    ...overrides,
  };
}
