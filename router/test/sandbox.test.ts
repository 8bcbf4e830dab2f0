import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, parse, validate, type OperationDefinitionNode } from 'graphql';
import { SANDBOX_DOCUMENT, SANDBOX_VARIABLES } from '../src/sandbox';
import { startStack } from './support/stack';

// Sandbox's examples and the README's tour against the public API schema that clients see
// (schema/api.graphql, written by npm run compose): a renamed field or argument fails here.
const root = path.resolve(__dirname, '../..');
const apiSchema = buildSchema(readFileSync(path.join(root, 'schema/api.graphql'), 'utf8'));
const sandbox = parse(SANDBOX_DOCUMENT);
const operations = sandbox.definitions.filter(
  (d): d is OperationDefinitionNode => d.kind === 'OperationDefinition',
);

/** The ```graphql blocks of the README's "A first tour". */
function readmeTour(): string[] {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const tour = readme.slice(
    readme.indexOf('## A first tour'),
    readme.indexOf('\n## ', readme.indexOf('## A first tour') + 1),
  );
  return [...tour.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe("Apollo Sandbox's initial document", () => {
  it('is valid against schema/api.graphql, every operation of it', () => {
    expect(validate(apiSchema, sandbox).map((e) => e.message)).toEqual([]);
    expect(operations.length).toBeGreaterThan(0);
  });

  it('names every operation, so that each can be run on its own', () => {
    const names = operations.map((op) => op.name?.value);
    expect(names).not.toContain(undefined);
    expect(new Set(names).size).toBe(names.length);
  });

  it('comes with a value for every variable it declares, and none other', () => {
    const declared = new Set(
      operations.flatMap((op) => (op.variableDefinitions ?? []).map((v) => v.variable.name.value)),
    );
    expect(Object.keys(SANDBOX_VARIABLES).sort()).toEqual([...declared].sort());
  });

  it('explains the Authorization and x-cart-id headers', () => {
    expect(SANDBOX_DOCUMENT).toMatch(/^# +Authorization: Bearer <accessToken>$/m);
    expect(SANDBOX_DOCUMENT).toMatch(/^# +x-cart-id: <cart id>$/m);
  });
});

describe("the README's first tour", () => {
  const blocks = readmeTour();

  it('is valid against schema/api.graphql, block by block', () => {
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) {
      const document = parse(block);
      expect({
        block: block.split('\n')[0],
        errors: validate(apiSchema, document).map((e) => e.message),
      }).toEqual({
        block: block.split('\n')[0],
        errors: [],
      });
    }
  });

  it('is in Sandbox, operation by operation', () => {
    const inSandbox = new Set(operations.map((op) => op.name!.value));
    const inReadme = blocks.flatMap((block) =>
      parse(block)
        .definitions.filter((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')
        .map((op) => op.name?.value),
    );
    expect(inReadme.filter((name) => !inSandbox.has(name!))).toEqual([]);
  });
});

describe('Sandbox on GET /graphql', () => {
  it('opens with the tour and its variables', async () => {
    const stack = await startStack();
    try {
      const { status, body } = await stack.router.get('/graphql', { accept: 'text/html' });
      expect(status).toBe(200);
      // The landing page carries Sandbox's configuration as JSON in a script.
      const config = /var embeddedSandboxConfig = (\{.*\});/.exec(body as string)?.[1];
      expect(JSON.parse(config ?? '{}').initialState).toEqual({
        document: SANDBOX_DOCUMENT,
        variables: SANDBOX_VARIABLES,
      });
    } finally {
      await stack.stop();
    }
  }, 60_000);
});
