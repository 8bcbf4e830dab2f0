import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, type DocumentNode } from 'graphql';

/** A subgraph's SDL, kept as `schema.graphql` beside its server (`dir`: its `__dirname`). */
export function schemaBeside(dir: string): DocumentNode {
  return parse(readFileSync(path.join(dir, 'schema.graphql'), 'utf8'));
}
