// Composes schema/supergraph.graphql from every subgraph's SDL (static composition: the
// router loads the checked-in file, so what runs is what was reviewed), and the public API
// schema schema/api.graphql from it: what clients see and generate their types from, without
// @inaccessible (service-to-service) fields and types or federation's machinery.
//
//   npm run compose          writes schema/supergraph.graphql and schema/api.graphql
//   npm run compose:check    exits 1 when a checked-in file differs from a fresh composition
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { GraphQLError, parse, printSchema, Source } from 'graphql';
import subgraphs from '../schema/subgraphs.json';

const root = path.resolve(__dirname, '..');
const supergraphPath = path.join(root, 'schema', 'supergraph.graphql');
const apiSchemaPath = path.join(root, 'schema', 'api.graphql');
const header =
  '# Composed by `npm run compose` from subgraphs/*/src/schema.graphql. Do not edit.\n';
const apiHeader =
  "# The public API of the shop's router: schema/supergraph.graphql without its\n" +
  '# @inaccessible fields and types. Generate client types from this file.\n' +
  header;

/** The checked-in files a composition writes, by path. */
function composeSupergraph(): Map<string, string> | undefined {
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
  const api = printSchema(result.schema.toAPISchema().toGraphQLJSSchema());
  return new Map([
    [supergraphPath, header + result.supergraphSdl + '\n'],
    [apiSchemaPath, apiHeader + api + '\n'],
  ]);
}

function main(): number {
  const files = composeSupergraph();
  if (files === undefined) return 1;
  const relative = (file: string) => path.relative(root, file);

  if (process.argv.includes('--check')) {
    let stale = 0;
    for (const [file, content] of files) {
      let current = '';
      try {
        current = readFileSync(file, 'utf8');
      } catch {
        // A missing file is as stale as an outdated one.
      }
      if (current !== content) {
        console.error(`${relative(file)} is stale: run npm run compose`);
        stale++;
      } else {
        console.log(`${relative(file)} is up to date.`);
      }
    }
    return stale ? 1 : 0;
  }

  for (const [file, content] of files) writeFileSync(file, content);
  const names = subgraphs.map((s) => s.name).join(', ');
  console.log(`Wrote ${[...files.keys()].map(relative).join(' and ')} (${names}).`);
  return 0;
}

process.exitCode = main();
