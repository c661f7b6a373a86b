import { Command, CommanderError } from 'commander';
import { type CliIO, defaultIO, UsageError } from './context.js';

/** A command's action resolves to its exit status; commands that run until a signal resolve when it comes. */
export type SetExit = (code: number) => void;

type Register = (program: Command, io: CliIO, setExit: SetExit) => void;

/**
 * Each command's module is loaded only when that command runs: the server and the emulator pull in
 * Fastify, Kysely and more, which would slow `explain` or `doctor` down for nothing.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  emulator: () => import('./commands/emulator.js').then((m) => m.registerEmulator),
  doctor: () => import('./commands/doctor.js').then((m) => m.registerDoctor),
  explain: () => import('./commands/explain.js').then((m) => m.registerExplain),
  serve: () => import('./commands/serve.js').then((m) => m.registerServe),
  keys: () => import('./commands/keys.js').then((m) => m.registerKeys),
};

export async function buildProgram(io: CliIO, setExit: SetExit, argv: string[] = []): Promise<Command> {
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
  const first = argv[0];
  const wanted = first && first in COMMANDS ? [first] : Object.keys(COMMANDS);
  for (const name of wanted) (await COMMANDS[name]!())(program, io, setExit);
  return program;
}

export async function main(argv: string[], io: CliIO = defaultIO()): Promise<number> {
  let exitCode = 0;
  const program = await buildProgram(
    io,
    (code) => {
      exitCode = code;
    },
    argv,
  );
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
