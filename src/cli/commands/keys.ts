import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DEFAULT_DATABASE, demoKeyFile, writeKeyFile } from '../../server/config.js';
import {
  generateSecretKey,
  type Keyring,
  keyringFromEnv,
  parseSecretKey,
  SecretKeyError,
} from '../../server/crypto.js';
import { DatabaseUrlError, openDatabase, parseDatabaseUrl } from '../../server/db.js';
import { rotateKeys } from '../../server/rotate.js';
import { type CliIO, UsageError } from '../context.js';
import type { SetExit } from '../index.js';

export function registerKeys(program: Command, io: CliIO, setExit: SetExit): void {
  const keys = program.command('keys').description('Manage the key that encrypts stored credentials.');
  keys
    .command('generate')
    .description('Print a new random key (32 bytes, base64) for INTACCT_CONNECT_SECRET_KEY.')
    .action(() => {
      io.stdout.write(`${generateSecretKey()}\n`);
      setExit(0);
    });
  keys
    .command('rotate')
    .description('Re-encrypt every stored secret under a new key.')
    .option('--database <url>', 'sqlite:PATH or postgres://...', DEFAULT_DATABASE)
    .addHelpText(
      'after',
      `
Reads the current key from INTACCT_CONNECT_SECRET_KEY (or, when unset, the key file that serve --demo
keeps beside the SQLite file), earlier keys from INTACCT_CONNECT_OLD_SECRET_KEYS, and the new key from
INTACCT_CONNECT_NEW_SECRET_KEY; without it a new key is generated and printed once. Afterwards set
INTACCT_CONNECT_SECRET_KEY to the new key (a key file is updated in place).`,
    )
    .action(async (flags: { database: string }) => {
      setExit(await rotate(flags.database, io));
    });
}

async function rotate(database: string, io: CliIO): Promise<number> {
  const env = io.env;
  let parsed: ReturnType<typeof parseDatabaseUrl>;
  try {
    parsed = parseDatabaseUrl(database, io.cwd);
  } catch (error) {
    if (error instanceof DatabaseUrlError) throw new UsageError(error.message);
    throw error;
  }
  if (parsed.engine === 'sqlite' && parsed.file !== ':memory:' && !existsSync(parsed.file!)) {
    throw new UsageError(`--database ${database}: no database file at ${parsed.file}`);
  }
  let keyFile: string | undefined;
  let fileKey: string | undefined;
  if (!env.INTACCT_CONNECT_SECRET_KEY) {
    const candidate = demoKeyFile(database, io.cwd);
    if (existsSync(candidate)) {
      keyFile = candidate;
      fileKey = readFileSync(candidate, 'utf8').trim();
    }
  }
  let readable: Keyring;
  let next: ReturnType<typeof parseSecretKey>;
  let generated: string | undefined;
  try {
    readable = keyringFromEnv(env, fileKey);
    if (env.INTACCT_CONNECT_NEW_SECRET_KEY) {
      next = parseSecretKey(env.INTACCT_CONNECT_NEW_SECRET_KEY, 'INTACCT_CONNECT_NEW_SECRET_KEY');
    } else {
      generated = generateSecretKey();
      next = parseSecretKey(generated, 'the generated key');
    }
  } catch (error) {
    if (error instanceof SecretKeyError) throw new UsageError(error.message);
    throw error;
  }
  const storage = await openDatabase(database, { cwd: io.cwd });
  try {
    const result = await rotateKeys(storage, readable, next);
    if (keyFile) writeKeyFile(keyFile, generated ?? env.INTACCT_CONNECT_NEW_SECRET_KEY!);
    io.stdout.write(
      `Re-encrypted ${result.connections} connection(s), ${result.webhooks} webhook secret(s) and ${result.oauthStates} pending OAuth state(s) under key ${result.newKeyId}.\n`,
    );
    if (keyFile) io.stdout.write(`Updated the key file ${keyFile}.\n`);
    if (generated) {
      io.stdout.write(
        `New key (shown once; set INTACCT_CONNECT_SECRET_KEY to it before restarting the server):\n${generated}\n`,
      );
    } else {
      io.stdout.write('Set INTACCT_CONNECT_SECRET_KEY to the new key before restarting the server.\n');
    }
    return 0;
  } catch (error) {
    if (error instanceof SecretKeyError) {
      io.stderr.write(`intacct-connect keys rotate: ${error.message}; nothing was changed\n`);
      return 2;
    }
    throw error;
  } finally {
    await storage.close();
  }
}
