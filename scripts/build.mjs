// Builds everything plain Node needs: the TypeScript library and CLI into dist/, and the Connect UI
// into dist/web. Runs on `npm ci` (prepare) so a fresh clone works without another step.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (cmd, args) => {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`build: ${cmd} ${args.join(' ')} failed (exit ${result.status})`);
    process.exit(result.status ?? 1);
  }
};

run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json']);
if (existsSync(new URL('../src/web/index.html', import.meta.url))) {
  run(process.execPath, [
    'node_modules/vite/bin/vite.js',
    'build',
    '--config',
    'src/web/vite.config.ts',
    '--logLevel',
    'warn',
  ]);
}
