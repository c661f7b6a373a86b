import type { FastifyInstance } from 'fastify';
import type { EmulatorContext } from '../context.js';

/** OAuth 2.0 routes (authorize, token, revoke, discovery, JWKS). Filled in by the OAuth work. */
export async function oauthRoutes(_app: FastifyInstance, _ctx: EmulatorContext): Promise<void> {}
