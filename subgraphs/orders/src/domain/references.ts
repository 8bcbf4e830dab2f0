/** A User that the users subgraph resolves; orders only knows its id. */
export interface UserReference {
  __typename?: 'User';
  id: string;
}

/** A Product that the products subgraph resolves; orders only knows its id. */
export interface ProductReference {
  __typename: 'Product';
  id: string;
}
