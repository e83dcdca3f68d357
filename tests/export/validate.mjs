// validate.mjs - validates speedscope JSON files against the file-format-schema.json that
// the npm speedscope package ships (ajv, JSON Schema draft-07). Usage: node validate.mjs FILE...
// Prints each error; exit 1 if any file is invalid.
import Ajv from 'ajv';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const schema = JSON.parse(fs.readFileSync(path.join(here, 'node_modules/speedscope/dist/release/file-format-schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
let bad = 0;
for (const f of process.argv.slice(2)) {
  const doc = JSON.parse(fs.readFileSync(f, 'utf8'));
  if (!validate(doc)) {
    bad++;
    console.error(`${f}: ${validate.errors.slice(0, 5).map((e) => `${e.instancePath} ${e.message}`).join('; ')}`);
  }
}
process.exit(bad ? 1 : 0);
