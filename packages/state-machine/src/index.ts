/**
 * A status and the moves allowed out of each value, written once as a table: orders'
 * OrderStatus and delivery's shipment status declare only their tables and what a refused
 * move means to them (its error class and code); the questions asked of a table — may it
 * move, where to, from where, is it over — and the wording of a refusal live here.
 */
export class StateMachine<S extends string> {
  private readonly previous: ReadonlyMap<S, readonly S[]>;

  /** `next`: for every status, the statuses it may move to (none: it is final). */
  constructor(private readonly next: Readonly<Record<S, readonly S[]>>) {
    const statuses = Object.keys(next) as S[];
    for (const [from, targets] of Object.entries(next) as [S, readonly S[]][]) {
      const unknown = targets.filter((to) => !(to in next));
      if (unknown.length > 0) {
        throw new Error(`${from} may move to ${unknown.join(', ')}, which the table does not list`);
      }
    }
    this.previous = new Map(
      statuses.map((to) => [to, statuses.filter((from) => next[from].includes(to))]),
    );
  }

  /** Every status the table knows, in its order. */
  get statuses(): readonly S[] {
    return Object.keys(this.next) as S[];
  }

  can(from: S, to: S): boolean {
    return this.next[from].includes(to);
  }

  /** Where `from` may move to. */
  nextFrom(from: S): readonly S[] {
    return this.next[from];
  }

  /**
   * The statuses from which `to` is a legal move: the same rule as `can`, in the form one
   * UPDATE checks it (`WHERE status = ANY(…)`) under the row's lock.
   */
  previousOf(to: S): readonly S[] {
    return this.previous.get(to) ?? [];
  }

  /** Nothing may follow it. */
  isFinal(status: S): boolean {
    return this.next[status].length === 0;
  }

  /**
   * Why `from` → `to` is refused, naming both and what is possible instead, e.g. "Order
   * 42 is PAID and cannot become DELIVERED; from PAID it can only become FULFILLING or
   * REFUNDED." — for the domain's own error (its code is the domain's to choose).
   */
  refusal(subject: string, from: S, to: S): string {
    const allowed = this.next[from];
    return (
      `${subject} is ${from} and cannot become ${to}` +
      (allowed.length
        ? `; from ${from} it can only become ${allowed.join(' or ')}.`
        : `; ${from} is final.`)
    );
  }
}
