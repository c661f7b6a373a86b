import { z } from 'zod';
import { CAUSE_IDS } from '../shared/causes.js';
import { WEBHOOK_EVENTS } from './webhooks.js';

/** Company, user and entity IDs as Intacct accepts them: printable, no surrounding whitespace issues. */
const intacctId = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .trim()
    .min(1, { error: `${what} is required` })
    .max(100, { error: `${what} is at most 100 characters` })
    .regex(/^[^\s<>&"']+$/, { error: `${what} must not contain spaces or <>&"' characters` });

const password = z
  .string({ error: 'userPassword must be a string' })
  .min(1, { error: 'userPassword is required' })
  .max(512, { error: 'userPassword is at most 512 characters' });

const optionalEntity = intacctId('entityId')
  .optional()
  .or(z.literal('').transform(() => undefined));

export const createConnectionBody = z.strictObject({
  companyId: intacctId('companyId'),
  userId: intacctId('userId'),
  userPassword: password,
  entityId: optionalEntity,
});

export const connectConnectionBody = z.strictObject({
  companyId: intacctId('companyId'),
  userId: intacctId('userId'),
  userPassword: password,
  entityId: optionalEntity,
  connectionId: z
    .string()
    .regex(/^con_[a-f0-9]{32}$/, { error: 'connectionId is not a connection id' })
    .optional(),
});

export const updateCredentialsBody = z.strictObject({
  userId: intacctId('userId').optional(),
  userPassword: password,
  entityId: optionalEntity,
});

export const precheckBody = z.strictObject({ companyId: intacctId('companyId') });

export const connectSessionBody = z.strictObject({
  customerRef: z.string().max(200, { error: 'customerRef is at most 200 characters' }).optional(),
  ttlSeconds: z
    .number({ error: 'ttlSeconds must be a number' })
    .int({ error: 'ttlSeconds must be a whole number' })
    .min(60, { error: 'ttlSeconds is at least 60' })
    .max(86_400, { error: 'ttlSeconds is at most 86400' })
    .optional(),
});

export const explainBody = z.strictObject({
  text: z.string({ error: 'text must be a string' }).min(1, { error: 'text is required' }).max(200_000),
});

export const webhookBody = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, error: 'url must be an http(s) URL' })
    .max(2000, { error: 'url is at most 2000 characters' }),
  secret: z.string().min(16, { error: 'secret is at least 16 characters' }).max(200).optional(),
  events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).optional(),
});

export const idParams = z.strictObject({ id: z.string().min(1).max(100) });

export const issuesQuery = z.strictObject({
  status: z.enum(['open', 'resolved']).optional(),
  connectionId: z.string().max(100).optional(),
});

export const articlesQuery = z.strictObject({ q: z.string().max(500).optional() });

export const oauthCallbackQuery = z.object({
  code: z.string().max(4000).optional(),
  state: z.string().max(500).optional(),
  error: z.string().max(200).optional(),
  error_description: z.string().max(2000).optional(),
});

// ---- answers (for the OpenAPI description) ----

const checkResult = z.object({
  id: z.string(),
  title: z.string(),
  status: z.enum(['pass', 'fail', 'warn', 'skip', 'unknown']),
  cause: z.enum(CAUSE_IDS).nullable(),
  ms: z.number(),
  detail: z.string().optional(),
});

const finding = z.object({
  cause: z.enum(CAUSE_IDS),
  severity: z.enum(['error', 'warning', 'info']),
  title: z.string(),
  detail: z.string(),
  fix: z.array(z.string()),
  article: z.string(),
  evidence: z.record(z.string(), z.unknown()).optional(),
});

export const reportSchema = z.object({
  ok: z.boolean(),
  mode: z.enum(['xml', 'oauth']),
  roundTrips: z.number().int(),
  checks: z.array(checkResult),
  findings: z.array(finding),
});

const issue = z.object({
  id: z.string(),
  connectionId: z.string(),
  cause: z.string(),
  severity: z.string(),
  title: z.string(),
  status: z.enum(['open', 'resolved']),
  openedAt: z.string(),
  resolvedAt: z.string().nullable(),
  lastSeenAt: z.string(),
  reopenedCount: z.number().int(),
});

const connection = z.object({
  id: z.string(),
  mode: z.enum(['xml', 'oauth']),
  companyId: z.string(),
  userId: z.string().nullable(),
  entityId: z.string().nullable(),
  status: z.enum(['connected', 'failed', 'pending']),
  customerRef: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastCheckedAt: z.string().nullable(),
  nextCheckAt: z.string().nullable(),
});

export const answers = {
  ok: z.object({ ok: z.literal(true) }),
  error: z.object({ error: z.object({ message: z.string(), field: z.string().optional() }) }),
  outcome: z.object({ id: z.string(), status: z.enum(['connected', 'failed']), report: reportSchema }),
  checkOutcome: z.object({ status: z.enum(['connected', 'failed']), report: reportSchema }),
  connections: z.object({ connections: z.array(connection) }),
  connection: connection.extend({ issues: z.array(issue) }),
  checks: z.object({
    checks: z.array(
      z.object({
        id: z.string(),
        at: z.string(),
        status: z.string(),
        ok: z.boolean(),
        roundTrips: z.number().int(),
        rootCause: z.string().nullable(),
        trigger: z.string(),
      }),
    ),
  }),
  issues: z.object({ issues: z.array(issue) }),
  connectSession: z.object({ id: z.string(), token: z.string(), url: z.string(), expiresAt: z.string() }),
  connectToken: z.object({ token: z.string(), expiresAt: z.string() }),
  config: z.object({
    appName: z.string(),
    senderId: z.string().nullable(),
    oauth: z.object({ enabled: z.boolean() }),
    suggestedUserId: z.string(),
    requirements: z.array(
      z.object({
        object: z.string(),
        operation: z.string(),
        module: z.string().optional(),
        permission: z.string().optional(),
        rights: z.array(z.string()),
      }),
    ),
    demo: z.boolean(),
  }),
  precheck: z.object({ checks: z.array(checkResult), findings: z.array(finding) }),
  webhook: z.object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    createdAt: z.string(),
    secret: z.string().optional(),
  }),
  webhooks: z.object({
    webhooks: z.array(z.object({ id: z.string(), url: z.string(), events: z.array(z.string()) })),
  }),
  deliveries: z.object({
    deliveries: z.array(
      z.object({
        id: z.string(),
        webhookId: z.string(),
        eventId: z.string(),
        event: z.string(),
        status: z.enum(['pending', 'delivered', 'failed']),
        attempts: z.number().int(),
        lastStatusCode: z.number().int().nullable(),
        lastError: z.string().nullable(),
        createdAt: z.string(),
        deliveredAt: z.string().nullable(),
        nextAttemptAt: z.string().nullable(),
      }),
    ),
  }),
  audit: z.object({
    entries: z.array(
      z.object({
        id: z.number(),
        at: z.string(),
        actor: z.string(),
        action: z.string(),
        connectionId: z.string().nullable(),
        detail: z.record(z.string(), z.unknown()),
      }),
    ),
  }),
  articles: z.object({
    articles: z.array(
      z.object({ id: z.string(), kind: z.enum(['cause', 'guide']), title: z.string(), summary: z.string() }),
    ),
  }),
  article: z.record(z.string(), z.unknown()),
  explain: z.object({
    matches: z.array(
      z.object({
        cause: z.string(),
        confidence: z.number(),
        title: z.string(),
        fix: z.array(z.string()),
        article: z.string(),
      }),
    ),
  }),
  authorizeUrl: z.object({ authorizeUrl: z.string() }),
  sse: z.string().describe('text/event-stream: `event: progress` per step, then `event: result`'),
};
