// Prints the closing line of `npm test` over every project's jest run.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, seconds] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
let projects = 0;
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
  const r = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  projects += 1;
  passed += r.passed;
  failed += r.failed + r.runtimeErrors;
  skipped += r.skipped;
}
console.log(`\n${projects} jest projects in ${seconds} s`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
