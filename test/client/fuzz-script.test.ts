import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const built = existsSync(new URL('../../dist/client/xml/index.js', import.meta.url));

// `npm test` builds first; the full 10,000-run fuzz is `node scripts/fuzz-xml.mjs`.
describe.skipIf(!built)('scripts/fuzz-xml.mjs against the built library', () => {
  it('runs every property and reports no untyped failure', () => {
    const run = spawnSync(process.execPath, ['scripts/fuzz-xml.mjs', '100'], { cwd: root, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.match(/^ok {3}/gm)).toHaveLength(5);
    expect(run.stdout).toContain('0 untyped');
  });
});
