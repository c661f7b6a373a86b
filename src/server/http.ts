import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

/** An error that becomes `{"error": {"message", "field"?}}` with its status. Never carries secrets. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function errorBody(message: string, field?: string): { error: { message: string; field?: string } } {
  return { error: field ? { message, field } : { message } };
}

export type Where = 'body' | 'query' | 'params';

/** Validates one part of a request; the 400 names the first bad field (never its value). */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: Where): z.output<S> {
  const result = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const field = [...path, key].join('.');
    throw new HttpError(400, `${where === 'body' ? 'body' : where} field ${field} is not allowed`, field);
  }
  if (path.length === 0) {
    throw new HttpError(
      400,
      where === 'body' ? 'body must be a JSON object' : `${where} is malformed`,
      where,
    );
  }
  const field = path.join('.');
  const raw = issue.message;
  // Zod's generic "Invalid input: expected string, received undefined" becomes "X is required".
  const message =
    issue.code === 'invalid_type' && /received undefined/.test(raw)
      ? `${field} is required`
      : raw.startsWith(field.split('.').pop() ?? '\u0000')
        ? raw
        : `${field}: ${raw}`;
  throw new HttpError(400, message, field);
}

export function bearer(request: FastifyRequest): string | undefined {
  const h = request.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1];
}

export type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export interface RouteDoc {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  summary: string;
  auth: 'none' | 'management' | 'connect';
  tag: string;
  body?: z.ZodType;
  query?: z.ZodType;
  params?: z.ZodType;
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const s = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete s.$schema;
  return s;
}

/** OpenAPI 3.1 (whose schemas are JSON Schema 2020-12, what z.toJSONSchema emits) for every route. */
export function buildOpenApi(routes: RouteDoc[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [where, schema] of [
      ['path', r.params],
      ['query', r.query],
    ] as const) {
      if (!schema) continue;
      const js = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, prop] of Object.entries(js.properties ?? {})) {
        parameters.push({
          name,
          in: where,
          required: where === 'path' || (js.required ?? []).includes(name),
          schema: prop,
        });
      }
    }
    const responses: Record<string, unknown> = {};
    for (const [status, res] of Object.entries(r.responses)) {
      responses[status] = {
        description: res.description,
        ...(res.schema
          ? {
              content: {
                [res.contentType ?? 'application/json']: { schema: jsonSchema(res.schema, 'output') },
              },
            }
          : {}),
      };
    }
    if (r.body) {
      responses['400'] ??= { description: 'Malformed input; `error.field` names the bad field' };
    }
    if (r.auth !== 'none') responses['401'] ??= { description: 'Missing or wrong bearer credential' };
    paths[path] ??= {};
    paths[path][r.method.toLowerCase()] = {
      summary: r.summary,
      tags: [r.tag],
      ...(r.auth === 'management' ? { security: [{ managementKey: [] }] } : {}),
      ...(r.auth === 'connect' ? { security: [{ connectToken: [] }] } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(r.body, 'input') } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Intacct Connect server',
      version,
      description:
        'Stored Sage Intacct connections, health checks, issues and webhooks. Errors are `{"error": {"message", "field"}}`.',
    },
    components: {
      securitySchemes: {
        managementKey: { type: 'http', scheme: 'bearer', description: 'INTACCT_CONNECT_API_KEY' },
        connectToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'A connect token (ct_...) from POST /api/connect-sessions',
        },
      },
    },
    paths,
  };
}
