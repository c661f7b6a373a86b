import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface DemoServer {
  url: string;
  apiKey: string;
  /** Everything the server printed so far (stdout and stderr), for secret checks. */
  output(): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export function builtOutputMissing(): string | null {
  if (!existsSync(join(root, 'dist/web/index.html'))) return 'dist/web/index.html';
  if (!existsSync(join(root, 'dist/cli/index.js'))) return 'dist/cli/index.js';
  return null;
}

/**
 * Runs the real `intacct-connect serve --demo` (built CLI) on a free port with a temporary SQLite
 * database. The demo world's OAuth client only lists port 3000 as a redirect URI, so the world is
 * copied with this run's callback URL added; nothing else changes.
 */
export async function startDemoServer(): Promise<DemoServer> {
  const dir = mkdtempSync(join(tmpdir(), 'intacct-connect-web-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const world = parseDocument(readFileSync(join(root, 'worlds/demo.yaml'), 'utf8'));
  const clients = world.get('clients') as { items: unknown[] } | undefined;
  for (let i = 0; i < (clients?.items.length ?? 0); i++) {
    world.addIn(['clients', i, 'redirectUris'], `${url}/oauth/callback`);
  }
  const worldFile = join(dir, 'world.yaml');
  writeFileSync(worldFile, world.toString());
  const apiKey = `ick_test_${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const child: ChildProcess = spawn(
    process.execPath,
    [
      'bin/intacct-connect.js',
      'serve',
      '--demo',
      '--no-health',
      '--port',
      String(port),
      '--database',
      `sqlite:${join(dir, 'connect.db')}`,
      '--world',
      worldFile,
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        INTACCT_CONNECT_API_KEY: apiKey,
        INTACCT_CONNECT_LOG_LEVEL: 'info',
        INTACCT_SENDER_ID: '',
        INTACCT_SENDER_PASSWORD: '',
        INTACCT_CLIENT_ID: '',
        INTACCT_CLIENT_SECRET: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (b: Buffer) => {
    output += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    output += b.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  while (!output.includes('Intacct Connect listening on')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`intacct-connect serve did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, apiKey, output: () => output, stop };
}
