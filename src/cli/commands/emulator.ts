import type { Command } from 'commander';
import { startEmulator } from '../../emulator/server.js';
import { loadDemoWorld, loadWorldFile, WorldError } from '../../emulator/world/load.js';
import type { World } from '../../emulator/world/schema.js';
import { type CliIO, UsageError, untilSignal } from '../context.js';
import type { SetExit } from '../index.js';

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65_535)
    throw new UsageError(`--port: expected a port number 0-65535, got "${value}"`);
  return n;
}

export function registerEmulator(program: Command, io: CliIO, setExit: SetExit): void {
  program
    .command('emulator')
    .description('Start the Intacct emulator (XML gateway, OAuth 2.0 and REST subset) serving a world file.')
    .option('--world <file>', 'world file (YAML or JSON); default: the built-in demo world')
    .option('--port <n>', 'port to listen on (0 = any free port)', '0')
    .option('--host <h>', 'address to listen on', '127.0.0.1')
    .action(async (opts: { world?: string; port: string; host: string }) => {
      const port = parsePort(opts.port);
      let world: World;
      try {
        world = opts.world ? loadWorldFile(resolvePath(io.cwd, opts.world)) : loadDemoWorld();
      } catch (error) {
        if (error instanceof WorldError) throw new UsageError(`invalid world file ${error.message}`);
        throw error;
      }
      let running: Awaited<ReturnType<typeof startEmulator>>;
      try {
        running = await startEmulator({ world, host: opts.host, port });
      } catch (error) {
        throw new UsageError(`cannot listen on ${opts.host}:${port}: ${(error as Error).message}`);
      }
      io.stdout.write(`Intacct emulator listening on ${running.url}\n`);
      await untilSignal();
      await running.close();
      setExit(0);
    });
}

function resolvePath(cwd: string, file: string): string {
  return file.startsWith('/') ? file : `${cwd.replace(/\/$/, '')}/${file}`;
}
