// Runs every benchmark in dist/bench/ (built from src/bench/) one after another and prints its figures.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const dir = new URL('../dist/bench/', import.meta.url);
const only = process.argv.slice(2);
const benches = existsSync(dir)
  ? readdirSync(dir)
      .filter((f) => f.endsWith('.js') && !f.startsWith('_'))
      .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
      .sort()
  : [];
if (benches.length === 0) console.log('No benchmarks built yet.');
let failed = 0;
for (const file of benches) {
  console.log(`\n=== ${file.replace(/\.js$/, '')} ===`);
  const result = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(new URL(file, dir))], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
