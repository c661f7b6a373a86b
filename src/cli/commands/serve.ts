import type { Command } from 'commander';
import type { CliIO } from '../context.js';
import type { SetExit } from '../index.js';

export function registerServe(program: Command, io: CliIO, setExit: SetExit): void {
  program
    .command('serve')
    .description('(coming soon)')
    .action(() => {
      io.stderr.write('intacct-connect serve: not built yet\n');
      setExit(2);
    });
}
