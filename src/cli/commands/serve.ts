import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import type { AppConfig } from '../../server/app.js';
import {
  ConfigError,
  DEFAULT_DATABASE,
  demoKeyFile,
  parseFrameAncestors,
  parsePositiveInt,
  parseRate,
  readOrCreateKeyFile,
} from '../../server/config.js';
import { keyringFromEnv, SecretKeyError } from '../../server/crypto.js';
import { DatabaseUrlError, parseDatabaseUrl } from '../../server/db.js';
import { type CliIO, UsageError, untilSignal } from '../context.js';
import type { SetExit } from '../index.js';

interface ServeFlags {
  port: string;
  host: string;
  database: string;
  demo?: boolean;
  world?: string;
  health: boolean;
  logLevel?: string;
}

export function registerServe(program: Command, io: CliIO, setExit: SetExit): void {
  program
    .command('serve')
    .description('Run the connection server and the Connect UI.')
    .option('--port <n>', 'port to listen on', '3000')
    .option('--host <h>', 'address to listen on', '127.0.0.1')
    .option('--database <url>', 'sqlite:PATH or postgres://...', DEFAULT_DATABASE)
    .option('--demo', 'embed the Intacct emulator (demo world) and point the server at it')
    .option('--world <file>', 'with --demo: the world file the embedded emulator serves')
    .option('--no-health', 'do not run periodic health checks on this node')
    .option('--log-level <level>', 'pino log level (default info, or INTACCT_CONNECT_LOG_LEVEL)')
    .addHelpText(
      'after',
      `
Environment:
  INTACCT_SENDER_ID, INTACCT_SENDER_PASSWORD   the application's Web Services sender
  INTACCT_CLIENT_ID, INTACCT_CLIENT_SECRET     the application's OAuth client (optional)
  INTACCT_ENDPOINT_URL, INTACCT_API_URL        Intacct endpoints (ignored with --demo)
  INTACCT_CONNECT_API_KEY                      management API key (generated with --demo)
  INTACCT_CONNECT_SECRET_KEY                   32 bytes, base64: encrypts stored credentials
  INTACCT_CONNECT_OLD_SECRET_KEYS              comma list of earlier keys, still readable
See docs/server.md for every variable.`,
    )
    .action(async (flags: ServeFlags) => {
      const code = await serve(flags, io);
      setExit(code);
    });
}

async function serve(flags: ServeFlags, io: CliIO): Promise<number> {
  const env = io.env;
  const port = Number(flags.port);
  if (!/^\d+$/.test(flags.port) || port > 65535)
    throw new UsageError(`--port ${flags.port}: expected 0..65535`);
  if (flags.world && !flags.demo)
    throw new UsageError('--world needs --demo (it picks the world of the embedded emulator)');
  try {
    parseDatabaseUrl(flags.database, io.cwd);
  } catch (error) {
    if (error instanceof DatabaseUrlError) throw new UsageError(error.message);
    throw error;
  }

  let config: AppConfig;
  try {
    config = {
      frameAncestors: parseFrameAncestors(env.INTACCT_CONNECT_FRAME_ANCESTORS),
      checkIntervalMs:
        parsePositiveInt(
          env.INTACCT_CONNECT_CHECK_INTERVAL_SECONDS,
          'INTACCT_CONNECT_CHECK_INTERVAL_SECONDS',
          900,
        ) * 1000,
      ...(env.INTACCT_CONNECT_CREDENTIAL_LIMIT
        ? {
            credentialLimit: parseRate(
              env.INTACCT_CONNECT_CREDENTIAL_LIMIT,
              'INTACCT_CONNECT_CREDENTIAL_LIMIT',
            ),
          }
        : {}),
      publicConnect: env.INTACCT_CONNECT_PUBLIC_CONNECT === 'true',
      demo: Boolean(flags.demo),
      ...(env.INTACCT_CONNECT_PUBLIC_URL ? { publicUrl: env.INTACCT_CONNECT_PUBLIC_URL } : {}),
      // The UI reads "Connect <app> to Sage Intacct"; the demo stands in for an integrating product.
      ...(env.INTACCT_CONNECT_APP_NAME
        ? { appName: env.INTACCT_CONNECT_APP_NAME }
        : flags.demo
          ? { appName: 'Acme Sync (demo app)' }
          : {}),
      ...(env.INTACCT_CONNECT_SUGGESTED_USER_ID
        ? { suggestedUserId: env.INTACCT_CONNECT_SUGGESTED_USER_ID }
        : {}),
      ...(env.INTACCT_SENDER_ID ? { senderId: env.INTACCT_SENDER_ID } : {}),
      ...(env.INTACCT_SENDER_PASSWORD ? { senderPassword: env.INTACCT_SENDER_PASSWORD } : {}),
      ...(env.INTACCT_CLIENT_ID ? { clientId: env.INTACCT_CLIENT_ID } : {}),
      ...(env.INTACCT_CLIENT_SECRET ? { clientSecret: env.INTACCT_CLIENT_SECRET } : {}),
      ...(env.INTACCT_ENDPOINT_URL ? { endpointUrl: env.INTACCT_ENDPOINT_URL } : {}),
      ...(env.INTACCT_API_URL ? { apiUrl: env.INTACCT_API_URL } : {}),
      ...(env.INTACCT_CONNECT_API_KEY ? { apiKey: env.INTACCT_CONNECT_API_KEY } : {}),
    };
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  const checkConcurrency = (() => {
    try {
      return parsePositiveInt(env.INTACCT_CONNECT_CHECK_CONCURRENCY, 'INTACCT_CONNECT_CHECK_CONCURRENCY', 16);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  })();

  let checkHistoryDays: number;
  try {
    checkHistoryDays = parsePositiveInt(
      env.INTACCT_CONNECT_CHECK_HISTORY_DAYS,
      'INTACCT_CONNECT_CHECK_HISTORY_DAYS',
      90,
    );
  } catch (error) {
    throw new UsageError((error as Error).message);
  }

  // Secret key: env, else (demo only) a key file kept beside the database.
  let keyFileKey: string | undefined;
  let keyFileNote: string | undefined;
  if (!env.INTACCT_CONNECT_SECRET_KEY && flags.demo) {
    const file = demoKeyFile(flags.database, io.cwd);
    const { key, created } = readOrCreateKeyFile(file);
    keyFileKey = key;
    keyFileNote = `${created ? 'Generated' : 'Using'} the credential encryption key in ${file}`;
  }
  let keyring: ReturnType<typeof keyringFromEnv>;
  try {
    keyring = keyringFromEnv(env, keyFileKey);
  } catch (error) {
    if (error instanceof SecretKeyError) throw new UsageError(error.message);
    throw error;
  }

  let emulator: { url: string; close(): Promise<void> } | undefined;
  let generatedKey: string | undefined;
  if (flags.demo) {
    const emu = await import('../../emulator/index.js');
    let world: ReturnType<typeof emu.loadDemoWorld>;
    try {
      world = flags.world ? emu.loadWorldFile(flags.world) : emu.loadDemoWorld();
    } catch (error) {
      if (error instanceof emu.WorldError) throw new UsageError(error.message);
      throw error;
    }
    emulator = await emu.startEmulator({ world, host: '127.0.0.1', port: 0 });
    config.endpointUrl = `${emulator.url}/ia/xml/xmlgw.phtml`;
    config.apiUrl = `${emulator.url}/ia/api/v1`;
    if (!env.INTACCT_SENDER_ID && !env.INTACCT_SENDER_PASSWORD) {
      const sender = world.senders.find((s) => s.status === 'active') ?? world.senders[0];
      if (sender) {
        config.senderId = sender.id;
        config.senderPassword = sender.password;
      }
    }
    if (!env.INTACCT_CLIENT_ID && !env.INTACCT_CLIENT_SECRET) {
      const client = world.clients[0];
      if (client) {
        config.clientId = client.id;
        config.clientSecret = client.secret;
      }
    }
    if (!config.apiKey) {
      generatedKey = `ick_${randomBytes(24).toString('base64url')}`;
      config.apiKey = generatedKey;
    }
  }

  const { startServer } = await import('../../server/index.js');
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({
      database: flags.database,
      cwd: io.cwd,
      host: flags.host,
      port,
      config,
      keyring,
      logDestination: io.stderr,
      logLevel: flags.logLevel ?? env.INTACCT_CONNECT_LOG_LEVEL ?? 'info',
      health: {
        enabled: flags.health && env.INTACCT_CONNECT_HEALTH !== 'off',
        concurrency: checkConcurrency,
      },
      checkHistoryDays,
    });
  } catch (error) {
    await emulator?.close();
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE')
      throw new UsageError(`--port ${port}: address ${flags.host}:${port} is already in use`);
    if (e.code === 'EACCES')
      throw new UsageError(`--port ${port}: not allowed to listen on ${flags.host}:${port}`);
    if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND')
      throw new UsageError(`--database: cannot reach the database (${e.code})`);
    throw error;
  }

  const out = io.stdout;
  if (emulator) out.write(`Intacct emulator (demo world) at ${emulator.url}\n`);
  if (keyFileNote) out.write(`${keyFileNote}\n`);
  if (generatedKey) out.write(`Management API key (generated for this run): ${generatedKey}\n`);
  if (!config.apiKey)
    out.write('INTACCT_CONNECT_API_KEY is not set: the management API answers 401 to everyone.\n');
  out.write(`Intacct Connect listening on ${server.url}\n`);

  await untilSignal();
  await server.close();
  await emulator?.close();
  return 0;
}
