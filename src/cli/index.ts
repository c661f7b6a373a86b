import { Command, CommanderError } from 'commander';
import { registerDoctor } from './commands/doctor.js';
import { registerEmulator } from './commands/emulator.js';
import { registerExplain } from './commands/explain.js';
import { registerKeys } from './commands/keys.js';
import { registerServe } from './commands/serve.js';
import { type CliIO, defaultIO, UsageError } from './context.js';

/** A command's action resolves to its exit status; commands that run until a signal resolve when it comes. */
export type SetExit = (code: number) => void;

export function buildProgram(io: CliIO, setExit: SetExit): Command {
  const program = new Command('intacct-connect')
    .description('Connect an application to Sage Intacct, diagnose connections, and keep them healthy.')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(s),
    });
  registerEmulator(program, io, setExit);
  registerDoctor(program, io, setExit);
  registerExplain(program, io, setExit);
  registerServe(program, io, setExit);
  registerKeys(program, io, setExit);
  return program;
}

export async function main(argv: string[], io: CliIO = defaultIO()): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; real usage errors were already printed.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UsageError) {
      io.stderr.write(`intacct-connect: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
