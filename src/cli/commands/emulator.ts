import type { Command } from 'commander';
import type { CliIO } from '../context.js';
import type { SetExit } from '../index.js';

export function registerEmulator(program: Command, io: CliIO, setExit: SetExit): void {
  program
    .command('emulator')
    .description('(coming soon)')
    .action(() => {
      io.stderr.write('intacct-connect emulator: not built yet\n');
      setExit(2);
    });
}
