// Arbitrary GraphQL operations for the public API, derived from schema/supergraph.graphql:
// every mutation a storefront can send through the router, its arguments generated from the
// schema's input types (hostile strings, edge-case integers, enums, nulls, ids), and a
// response selection that reaches into the other subgraphs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc, { type Arbitrary } from 'fast-check';
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLInputType,
  type GraphQLOutputType,
} from 'graphql';

const SUPERGRAPH = path.resolve(__dirname, '../../schema/supergraph.graphql');

/** Anything carrying directives in the supergraph: a field, an argument, an enum value. */
type Directed = { astNode?: { directives?: readonly { name: { value: string } }[] } | null };

/** @inaccessible parts are not served by the router: they are not the public API. */
const inaccessible = (element: Directed) =>
  (element.astNode?.directives ?? []).some((d) => d.name.value === 'inaccessible');

export interface PublicMutation {
  name: string;
  /** The subgraph that resolves it (its `@join__field(graph:)`), in lower case. */
  subgraph: string;
  args: readonly GraphQLArgument[];
  /** `mutation Fuzz($a: T!) { name(a: $a) { ...selection } }` */
  document: string;
  /** The same operation with the values written into it as literals; null when one of
   * them has no literal form (a wrong enum value, a string where an Int belongs). */
  inline: (variables: Record<string, unknown>) => string | null;
}

function subgraphOf(field: GraphQLField<unknown, unknown>): string {
  const join = field.astNode?.directives?.find((d) => d.name.value === 'join__field');
  const graph = join?.arguments?.find((a) => a.name.value === 'graph')?.value;
  if (graph?.kind !== 'EnumValue') throw new Error(`no @join__field(graph:) on ${field.name}`);
  return graph.value.toLowerCase();
}

/**
 * What to read back from a mutation's result: every argument-free leaf, and one level of
 * objects below (entities of other subgraphs included), so the router's query plan fetches
 * from the subgraphs that the result refers to, as a real client's selection would.
 */
function selectionOf(type: GraphQLOutputType, depth: number): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  if (isUnionType(named) || isInterfaceType(named) || !isObjectType(named)) return '{ __typename }';
  const parts = ['__typename'];
  for (const field of Object.values(named.getFields())) {
    if (inaccessible(field)) continue;
    if (field.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) continue;
    const inner = getNamedType(field.type);
    if (isLeafType(inner)) parts.push(field.name);
    else if (depth > 0) parts.push(`${field.name} ${selectionOf(field.type, depth - 1)}`);
  }
  return `{ ${parts.join(' ')} }`;
}

/** A value as a GraphQL literal of the type, or null when it has none. */
function literalOf(value: unknown, type: GraphQLInputType): string | null {
  if (value === null) return 'null';
  if (isNonNullType(type)) return literalOf(value, type.ofType);
  if (isListType(type)) {
    if (!Array.isArray(value)) return literalOf(value, type.ofType);
    const items = value.map((v) => literalOf(v, type.ofType));
    return items.includes(null) ? null : `[${items.join(', ')}]`;
  }
  if (isInputObjectType(type)) {
    if (typeof value !== 'object' || Array.isArray(value)) return null;
    const fields = type.getFields();
    const parts: string[] = [];
    for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
      const literal = fields[name] ? literalOf(v, fields[name].type) : null;
      if (literal === null) return null;
      parts.push(`${name}: ${literal}`);
    }
    return `{${parts.join(', ')}}`;
  }
  if (isEnumType(type)) {
    return typeof value === 'string' && type.getValue(value) ? value : null;
  }
  if (typeof value === 'string') {
    // JSON's escapes are GraphQL's (NUL becomes \u0000); an escaped lone surrogate is
    // refused by the parser, a syntax error like any other.
    return type.name === 'Int' || type.name === 'Float' || type.name === 'Boolean'
      ? null
      : JSON.stringify(value);
  }
  if (typeof value === 'number') {
    if (type.name === 'Int' || type.name === 'ID')
      return Number.isInteger(value) ? String(value) : null;
    return type.name === 'Float' ? String(value) : null;
  }
  if (typeof value === 'boolean') return type.name === 'Boolean' ? String(value) : null;
  return null;
}

/** Every mutation of the public API, in schema order. */
export function publicMutations(sdl = readFileSync(SUPERGRAPH, 'utf8')): PublicMutation[] {
  const schema = buildSchema(sdl, { assumeValidSDL: true });
  const mutation = schema.getMutationType();
  if (!mutation) throw new Error('the supergraph has no Mutation type');
  return Object.values(mutation.getFields())
    .filter((field) => !inaccessible(field))
    .map((field) => {
      const variables = field.args.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
      const args = field.args.map((a) => `${a.name}: $${a.name}`).join(', ');
      const head = field.args.length ? `mutation Fuzz(${variables})` : 'mutation Fuzz';
      const call = field.args.length ? `${field.name}(${args})` : field.name;
      const selection = selectionOf(field.type, 1);
      return {
        name: field.name,
        subgraph: subgraphOf(field),
        args: field.args,
        document: `${head} { ${call} ${selection} }`,
        inline: (variables) => {
          // As sent: Repeated strings expanded, objects plain.
          const values = JSON.parse(JSON.stringify(variables)) as Record<string, unknown>;
          const literals: string[] = [];
          for (const arg of field.args) {
            if (!(arg.name in values)) continue;
            const literal = literalOf(values[arg.name], arg.type);
            if (literal === null) return null;
            literals.push(`${arg.name}: ${literal}`);
          }
          const list = literals.length ? `(${literals.join(', ')})` : '';
          return `mutation Fuzz { ${field.name}${list} ${selection} }`;
        },
      };
    });
}

/** Values from the running shop that make a call reach past "not found". */
export type IdKind = 'products' | 'categories' | 'orders' | 'shipments' | 'users' | 'addresses';

/**
 * Which kind of id an argument or input field takes, by its name (a bare `id`: by the
 * mutation's, e.g. updateProduct's is a product's); null: any kind.
 */
function idKindOf(field: string, mutation: string): IdKind | null {
  if (field === 'id') {
    if (/product/i.test(mutation)) return 'products';
    if (/categor/i.test(mutation)) return 'categories';
    return null;
  }
  const kinds: Record<string, IdKind> = {
    productid: 'products',
    categoryid: 'categories',
    parentid: 'categories',
    orderid: 'orders',
    shipmentid: 'shipments',
    userid: 'users',
    shippingaddressid: 'addresses',
  };
  return kinds[field.toLowerCase()] ?? null;
}

export interface KnownValues {
  /** Ids of real things by kind: an argument named `productId` mostly gets a product's. */
  ids: Record<IdKind, string[]>;
  emails: string[];
  passwords: string[];
  refreshTokens: string[];
}

const INT_MAX = 2 ** 31 - 1;
const INT_MIN = -(2 ** 31);

/** Lone surrogate halves: valid in a JS string and in JSON, unstorable in UTF-8 stores. */
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
/** C0 and C1 controls, NUL included. */
const control = fc
  .oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f }))
  .map((c) => String.fromCharCode(c));
const NASTY = [
  '\u0000',
  '\r\n',
  '\u202e',
  '\u2028',
  '\ufeff',
  '\u200b',
  '\u001b[2J',
  '%00',
  '%s%n',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '{"$ne":null}',
  '$where',
  '../../etc/passwd',
  '😀',
  'ǅ',
  'ﷺ',
  '\u0301',
];

/** Text as an attacker or a broken client sends it. */
const hostileText: Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.constantFrom(...NASTY),
      loneSurrogate,
      control,
      fc.string({ unit: 'binary', maxLength: 6 }),
      fc.string({ maxLength: 6 }),
    ),
    { maxLength: 6 },
  )
  .map((pieces) => pieces.join(''));

/**
 * A long run of one character that is sent as the whole string (toJSON) but printed in a
 * counterexample as `"é".repeat(70000)`, so a failure report stays readable.
 */
export class Repeated {
  constructor(
    readonly unit: string,
    readonly times: number,
  ) {}
  toJSON(): string {
    return this.unit.repeat(this.times);
  }
  [fc.toStringMethod](): string {
    return `${JSON.stringify(this.unit)}.repeat(${this.times})`;
  }
}

/** Bigger than any field allows; the largest is bigger than any service's body limit. */
const hugeText = fc
  .tuple(fc.constantFrom('a', 'é', '😀', '\u0000'), fc.constantFrom(1_000, 70_000, 1_100_000))
  .map(([unit, times]) => new Repeated(unit, times));

/**
 * Plausible values by field name, so calls get past the first check to the deeper ones:
 * mostly well-formed, sometimes odd but still printable (wrong case, unknown codes, empty).
 */
function plausibleText(field: string, known: KnownValues): Arbitrary<string> {
  const [valid, odd] = textByName(field, known);
  return odd ? fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: odd }) : valid;
}

function textByName(field: string, known: KnownValues): [Arbitrary<string>, Arbitrary<string>?] {
  const name = field.toLowerCase();
  const uuid = fc.uuid();
  if (name.includes('email')) {
    return [
      fc.oneof(
        fc.constantFrom(...known.emails),
        uuid.map((u) => `fuzz-${u}@example.com`),
      ),
      fc.constantFrom('no-at-sign', '@example.com', 'a@b', 'UPPER@EXAMPLE.COM'),
    ];
  }
  if (name.includes('password')) {
    return [fc.constantFrom(...known.passwords, 'a long enough passphrase'), fc.constant('short')];
  }
  if (name === 'refreshtoken') {
    return [fc.constantFrom(...known.refreshTokens), fc.base64String({ maxLength: 64 })];
  }
  if (name === 'currency') {
    return [fc.constantFrom('EUR', 'USD', 'GBP'), fc.constantFrom('eur', 'XXX', 'EURO', '')];
  }
  if (name === 'country') {
    return [fc.constantFrom('DE', 'US', 'FR'), fc.constantFrom('de', 'ZZ', 'DEU', '')];
  }
  if (name === 'postalcode')
    return [fc.constantFrom('10115', '90210', 'SW1A 1AA'), fc.constant('')];
  if (name === 'idempotencykey' || name === 'sku') return [uuid, fc.constantFrom('', ' ')];
  if (name === 'slug') {
    return [
      uuid.map((u) => `fuzz-${u.slice(0, 8)}`),
      fc.constantFrom('Not A Slug', '-', '', 'UPPER'),
    ];
  }
  if (name === 'images') {
    return [
      fc.constantFrom('https://images.example/p.png', 'https://cdn.example/a/b.jpg'),
      fc.constantFrom('http://images.example/p.png', 'javascript:alert(1)', 'ftp://x/y', ''),
    ];
  }
  if (name === 'phone') {
    return [fc.constantFrom('+4930123456', '030 123456'), fc.constantFrom('+1 (555) 000-0000', '')];
  }
  return [
    fc.constantFrom('Lumen Phone', 'Main Street 1', 'Berlin', 'A fine thing', 'Zoë'),
    fc.constantFrom('', ' ', 'x'),
  ];
}

function textFor(
  field: string,
  known: KnownValues,
  hostile: boolean,
): Arbitrary<string | Repeated> {
  const plausible = plausibleText(field, known);
  if (!hostile) return plausible;
  return fc.oneof(
    { weight: 5, arbitrary: plausible },
    { weight: 3, arbitrary: hostileText },
    {
      weight: 2,
      arbitrary: fc
        .tuple(plausible, hostileText)
        .map(([good, bad]) => good.slice(0, 3) + bad + good.slice(3)),
    },
    { weight: 1, arbitrary: hugeText },
  );
}

const intEdges = fc.constantFrom(0, 1, -1, 2, 99, 100, 101, INT_MAX, INT_MIN, 100_000_000);

/** The usual range of an Int by field name: quantities, cents, stock levels, deltas. */
function usualInt(field: string): Arbitrary<number> {
  switch (field) {
    case 'quantity':
      return fc.integer({ min: -2, max: 101 });
    case 'amount':
      return fc.integer({ min: 0, max: 500_000 });
    case 'stock':
      return fc.integer({ min: -1, max: 1_000 });
    default:
      return fc.integer({ min: -100, max: 100 });
  }
}

function intFor(field: string, hostile: boolean): Arbitrary<unknown> {
  const ints: fc.WeightedArbitrary<unknown>[] = [
    { weight: 6, arbitrary: usualInt(field) },
    { weight: 3, arbitrary: intEdges },
    { weight: 2, arbitrary: fc.integer({ min: INT_MIN, max: INT_MAX }) },
  ];
  if (!hostile) return fc.oneof(...ints);
  return fc.oneof(
    ...ints,
    // Not an Int at all: the router's variable coercion must refuse it (BAD_USER_INPUT).
    { weight: 1, arbitrary: fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 1.5, '7', 1e21) },
  );
}

function idFor(field: string, mode: Mode): Arbitrary<unknown> {
  const { known, hostile } = mode;
  const every = Object.values(known.ids).flat();
  const kind = idKindOf(field, mode.mutation);
  const own = fc.constantFrom(...(kind ? known.ids[kind] : every));
  // Now and then a real id of another kind: an order's id where a product's is expected.
  const real = fc.oneof(
    { weight: 4, arbitrary: own },
    { weight: 1, arbitrary: fc.constantFrom(...every) },
  );
  if (!hostile) {
    return fc.oneof({ weight: 6, arbitrary: real }, { weight: 1, arbitrary: fc.uuid() });
  }
  return fc.oneof(
    { weight: 8, arbitrary: real },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.stringMatching(/^[0-9a-f]{24}$/) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('', '0', '-1', 'null', '[object Object]', ' ', 'x'.repeat(300)),
    },
    { weight: 1, arbitrary: hostileText },
    // GraphQL's ID also accepts integers.
    { weight: 1, arbitrary: fc.integer() },
  );
}

/**
 * How far a value strays: `hostile` values are anything a client can put in JSON; the
 * others are well-formed text and real ids (with edge-case numbers, enums and nulls), so
 * that half the calls get past input checks to the code behind them.
 */
interface Mode {
  known: KnownValues;
  hostile: boolean;
  /** The mutation the value is for. */
  mutation: string;
}

/** A value for one input type (nullable types also get null, or are left out). */
function valueOf(type: GraphQLInputType, field: string, mode: Mode): Arbitrary<unknown> {
  if (isNonNullType(type)) return nonNullValueOf(type.ofType, field, mode);
  return fc.option(nonNullValueOf(type, field, mode), { nil: null, freq: 4 });
}

function nonNullValueOf(type: GraphQLInputType, field: string, mode: Mode): Arbitrary<unknown> {
  if (isListType(type)) {
    const item = valueOf(type.ofType, field, mode);
    if (!mode.hostile) return fc.array(item, { maxLength: 4 });
    return fc.oneof(
      { weight: 6, arbitrary: fc.array(item, { maxLength: 4 }) },
      { weight: 1, arbitrary: fc.array(item, { minLength: 50, maxLength: 120 }) },
    );
  }
  if (isEnumType(type)) {
    const values = type.getValues().filter((v) => !inaccessible(v));
    const names = fc.constantFrom(...values.map((v) => v.name));
    if (!mode.hostile) return names;
    return fc.oneof(
      { weight: 9, arbitrary: names },
      { weight: 1, arbitrary: fc.constantFrom('NOPE', values[0]!.name.toLowerCase(), '') },
    );
  }
  if (isInputObjectType(type)) {
    return fieldsOf(Object.values(type.getFields()), mode);
  }
  if (isScalarType(type)) {
    switch (type.name) {
      case 'String':
        return textFor(field, mode.known, mode.hostile);
      case 'Int':
        return intFor(field, mode.hostile);
      case 'ID':
        return idFor(field, mode);
      case 'Boolean':
        return fc.oneof(
          { weight: 9, arbitrary: fc.boolean() },
          { weight: 1, arbitrary: fc.constant('yes') },
        );
      case 'Float':
        return fc.double();
    }
  }
  throw new Error(`no generator for input type ${type.toString()}`);
}

/**
 * An input object (or a mutation's arguments): required fields present, optional ones
 * present, null or left out; hostile ones now and then miss a required field.
 */
function fieldsOf(
  fields: readonly (GraphQLInputField | GraphQLArgument)[],
  mode: Mode,
): Arbitrary<Record<string, unknown>> {
  const visible = fields.filter((f) => !inaccessible(f));
  const model = Object.fromEntries(visible.map((f) => [f.name, valueOf(f.type, f.name, mode)]));
  const required = visible.filter((f) => isNonNullType(f.type)).map((f) => f.name);
  const record = fc.record(model, { requiredKeys: required }) as Arbitrary<Record<string, unknown>>;
  if (!required.length || !mode.hostile) return record;
  return fc.oneof(
    { weight: 15, arbitrary: record },
    {
      weight: 1,
      arbitrary: fc.tuple(record, fc.constantFrom(...required)).map(([value, missing]) => {
        const { [missing]: _dropped, ...rest } = value;
        return rest;
      }),
    },
  );
}

/** A mutation's variables: half of them well-formed (deep paths), half hostile (the edges). */
export function argumentsOf(
  mutation: PublicMutation,
  known: KnownValues,
): Arbitrary<Record<string, unknown>> {
  return fc.oneof(
    fieldsOf(mutation.args, { known, hostile: false, mutation: mutation.name }),
    fieldsOf(mutation.args, { known, hostile: true, mutation: mutation.name }),
  );
}
