// Composes schema/supergraph.graphql from every subgraph's SDL (static composition: the
// router loads the checked-in file, so what runs is what was reviewed).
//
//   npm run compose          writes schema/supergraph.graphql
//   npm run compose:check    exits 1 when the checked-in file differs from a fresh composition
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { GraphQLError, parse, Source } from 'graphql';
import subgraphs from '../schema/subgraphs.json';

const root = path.resolve(__dirname, '..');
const supergraphPath = path.join(root, 'schema', 'supergraph.graphql');
const header =
  '# Composed by `npm run compose` from subgraphs/*/src/schema.graphql. Do not edit.\n';

function composeSupergraph(): string | undefined {
  const services = [];
  for (const { name, url } of subgraphs) {
    const file = path.join('subgraphs', name, 'src', 'schema.graphql');
    try {
      // A named Source makes parse errors point at the file and line.
      const typeDefs = parse(new Source(readFileSync(path.join(root, file), 'utf8'), file));
      services.push({ name, url, typeDefs });
    } catch (error) {
      console.error(
        error instanceof GraphQLError ? error.toString() : `${file}: ${(error as Error).message}`,
      );
      return undefined;
    }
  }

  const result = composeServices(services);
  if (result.errors) {
    console.error(`Composition failed with ${result.errors.length} error(s):`);
    for (const error of result.errors) {
      console.error(`  - [${error.extensions.code ?? 'ERROR'}] ${error.message}`);
    }
    return undefined;
  }
  for (const hint of result.hints) console.warn(`hint [${hint.definition.code}] ${hint.message}`);
  return header + result.supergraphSdl + '\n';
}

function main(): number {
  const supergraph = composeSupergraph();
  if (supergraph === undefined) return 1;
  const relative = path.relative(root, supergraphPath);

  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(supergraphPath, 'utf8');
    } catch {
      // A missing file is as stale as an outdated one.
    }
    if (current !== supergraph) {
      console.error(`${relative} is stale: run npm run compose`);
      return 1;
    }
    console.log(`${relative} is up to date.`);
    return 0;
  }

  writeFileSync(supergraphPath, supergraph);
  console.log(`Wrote ${relative} (${subgraphs.map((s) => s.name).join(', ')}).`);
  return 0;
}

process.exitCode = main();
