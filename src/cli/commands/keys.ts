import type { Command } from 'commander';
import type { CliIO } from '../context.js';
import type { SetExit } from '../index.js';

export function registerKeys(program: Command, io: CliIO, setExit: SetExit): void {
  program
    .command('keys')
    .description('(coming soon)')
    .action(() => {
      io.stderr.write('intacct-connect keys: not built yet\n');
      setExit(2);
    });
}
