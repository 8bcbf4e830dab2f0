/** An Order that the orders subgraph owns; delivery only knows its id. */
export interface OrderReference {
  __typename?: 'Order';
  id: string;
}
