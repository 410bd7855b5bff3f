// `npm run bench -- <name> [args]`: runs bench/<name>/index.ts with tsx. Each benchmark prints
// progress on stderr and one JSON object as its last stdout line.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [name, ...args] = process.argv.slice(2);
const available = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(here, d.name, 'index.ts')))
  .map((d) => d.name)
  .sort();
if (!name || !available.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <name> [args]\nbenchmarks: ${available.join(', ')}\n`);
  process.exit(2);
}
const tsx = join(here, '..', 'node_modules', 'tsx', 'dist', 'cli.mjs');
const result = spawnSync(process.execPath, [tsx, join(here, name, 'index.ts'), ...args], { stdio: 'inherit' });
process.exit(result.status ?? 1);
