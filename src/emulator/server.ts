import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { EmulatorContext } from './context.js';
import { sleep } from './faults.js';
import { oauthRoutes } from './oauth/plugin.js';
import { restRoutes } from './rest/plugin.js';
import { type ContextOptions, createContext } from './state.js';
import { loadDemoWorld } from './world/load.js';
import type { World } from './world/schema.js';
import { GATEWAY_PATH, xmlGatewayRoutes } from './xml/gateway.js';

export interface StartEmulatorOptions {
  /** Default: the built-in demo world. */
  world?: World;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** A pino-compatible logger; default none. Request logs it receives are already redacted. */
  logger?: FastifyBaseLogger;
  /** Clock override for tests (session expiry, result IDs). */
  now?: ContextOptions['now'];
}

export interface RunningEmulator {
  url: string;
  port: number;
  context: EmulatorContext;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Builds the Fastify app without listening (for embedding and `inject`). */
export async function buildEmulatorApp(
  options: Omit<StartEmulatorOptions, 'host' | 'port'> = {},
): Promise<{ app: FastifyInstance; context: EmulatorContext; closeHeld: () => void }> {
  const world = options.world ?? loadDemoWorld();
  const logger = options.logger;
  const context = createContext(world, {
    ...(options.now ? { now: options.now } : {}),
    ...(logger ? { onLog: (entry) => logger.info(entry, 'emulator request') } : {}),
  });
  const app = Fastify({
    // Fastify's own request logging would print bodies' URLs only, but we keep one redacted log instead.
    logger: false,
    bodyLimit: 4 * 1024 * 1024,
    keepAliveTimeout: 72_000,
    forceCloseConnections: true,
  });

  // World-wide latency models the network round trip to Intacct on every answer.
  if (world.latencyMs > 0) {
    app.addHook('onRequest', async (req) => {
      // The XML gateway waits inside its concurrency slot instead.
      if (!req.url.startsWith('/_emulator/') && !req.url.startsWith(GATEWAY_PATH))
        await sleep(world.latencyMs);
    });
  }

  app.get('/_emulator/stats', async () => context.stats());
  app.post('/_emulator/reset', async () => {
    context.reset();
    return { ok: true };
  });

  await app.register(async (scope) => xmlGatewayRoutes(scope, context));
  await app.register(async (scope) => oauthRoutes(scope, context));
  await app.register(async (scope) => restRoutes(scope, context));
  return {
    app,
    context,
    closeHeld: () => {
      for (const socket of context.heldSockets) socket.destroy();
      context.heldSockets.clear();
    },
  };
}

export async function startEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const { app, context, closeHeld } = await buildEmulatorApp(options);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    context,
    app,
    async close() {
      closeHeld();
      await app.close();
    },
  };
}
