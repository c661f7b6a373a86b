import type { Command } from 'commander';
import type { CliIO } from '../context.js';
import type { SetExit } from '../index.js';

export function registerDoctor(program: Command, io: CliIO, setExit: SetExit): void {
  program
    .command('doctor')
    .description('(coming soon)')
    .action(() => {
      io.stderr.write('intacct-connect doctor: not built yet\n');
      setExit(2);
    });
}
