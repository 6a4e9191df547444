/**
 * The compiled checks of the report schemas, by `$id`: Ajv (JSON Schema 2020-12) with the options
 * in `schemaOptions.json`. Under tsx (tests, development) they are compiled on first use. The
 * shipped bundles never run this file: esbuild.mjs puts in its place Ajv's standalone code for the
 * schemas a build reads (the weekly summaries), compiled at build time with the same options, so
 * neither the compiler nor a compile at start-up ships.
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import options from './schemaOptions.json';
import weekly1 from './weekly-1.schema.json';
import weekly2 from './weekly-2.schema.json';
import team1 from '../team/team-1.schema.json';

let compiled: Record<string, ValidateFunction> | undefined;

export function validators(): Record<string, ValidateFunction> {
  if (!compiled) {
    const ajv = new Ajv2020(options);
    compiled = Object.fromEntries([weekly1, weekly2, team1].map((s) => [s.$id, ajv.compile(s)]));
  }
  return compiled;
}
