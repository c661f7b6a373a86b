import type { FastifyInstance } from 'fastify';
import type { EmulatorContext } from '../context.js';

/** The REST API subset under /ia/api/v1/objects and /ia/api/v1/services. Filled in by the OAuth/REST work. */
export async function restRoutes(_app: FastifyInstance, _ctx: EmulatorContext): Promise<void> {}
