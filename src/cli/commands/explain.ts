import type { Command } from 'commander';
import type { CliIO } from '../context.js';
import type { SetExit } from '../index.js';

export function registerExplain(program: Command, io: CliIO, setExit: SetExit): void {
  program
    .command('explain')
    .description('(coming soon)')
    .action(() => {
      io.stderr.write('intacct-connect explain: not built yet\n');
      setExit(2);
    });
}
