import type { Socket } from 'node:net';
import type { FastifyRequest } from 'fastify';
import type {
  EmulatorApi,
  EmulatorContext,
  EmulatorStats,
  LogEntry,
  Session,
  SessionStore,
} from './context.js';
import { applyFault, type FaultRuntime } from './faults.js';
import { newRequestId, newSessionId, newSupportId } from './ids.js';
import { initialRecords } from './records.js';
import { checkSignIn, findCompany, findUser } from './signin.js';
import type { Company, Right, User, World } from './world/schema.js';

const LOG_LIMIT = 1000;
/** Live sessions kept at most; the least recently used go first, so a client that never reuses sessions cannot grow memory. */
export const SESSION_LIMIT = 20_000;

export interface ContextOptions {
  now?: () => number;
  /** Receives each log entry (already redacted), e.g. a pino logger. */
  onLog?: (entry: LogEntry) => void;
}

/** The internal side of the context the server needs besides the public interface. */
export interface EmulatorState extends EmulatorContext {
  heldSockets: Set<Socket>;
}

function createSessions(world: World, now: () => number): SessionStore {
  const byId = new Map<string, Session>();
  const durationMs = (companyId: string) => (findCompany(world, companyId)?.sessionHours ?? 12) * 3_600_000;
  const live = (id: string): Session | undefined => {
    const s = byId.get(id);
    if (!s) return undefined;
    if (s.expiresAt <= now()) {
      byId.delete(id);
      return undefined;
    }
    return s;
  };
  return {
    create({ companyId, userId, entityId, senderId }) {
      const sessionId = newSessionId();
      const createdAt = now();
      if (byId.size >= SESSION_LIMIT) {
        const oldest = byId.keys().next().value;
        if (oldest !== undefined) byId.delete(oldest);
      }
      const expiresAt = createdAt + durationMs(companyId);
      byId.set(sessionId, {
        sessionId,
        companyId,
        userId,
        ...(entityId ? { entityId } : {}),
        ...(senderId ? { senderId } : {}),
        createdAt,
        expiresAt,
      });
      return { sessionId, expiresAt };
    },
    get(sessionId) {
      const s = live(sessionId);
      if (!s) return undefined;
      if (world.behaviours.slidingSessions) s.expiresAt = now() + durationMs(s.companyId);
      // Re-inserting keeps the Map in least-recently-used order, so the cap evicts idle sessions first.
      byId.delete(sessionId);
      byId.set(sessionId, s);
      return s;
    },
    peek: live,
    revokeFor(companyId, userId) {
      const c = companyId.toLowerCase();
      for (const [id, s] of byId) {
        if (s.companyId.toLowerCase() === c && s.userId === userId) byId.delete(id);
      }
    },
    clear() {
      byId.clear();
    },
    get size() {
      return byId.size;
    },
  };
}

export function effectiveRights(company: Company, user: User): Map<string, Set<Right>> {
  const out = new Map<string, Set<Right>>();
  const add = (perms: Record<string, Right[]>) => {
    for (const [object, rights] of Object.entries(perms)) {
      const key = object.toUpperCase();
      const set = out.get(key) ?? new Set<Right>();
      for (const r of rights) set.add(r);
      out.set(key, set);
    }
  };
  if (company.permissionModel === 'user') add(user.permissions);
  else {
    for (const name of user.roles) {
      const role = company.roles.find((r) => r.name === name);
      if (role) add(role.permissions);
    }
  }
  return out;
}

export function createContext(world: World, options: ContextOptions = {}): EmulatorState {
  const now = options.now ?? Date.now;
  const stats: EmulatorStats['requests'] = { xml: 0, oauth: 0, rest: 0, total: 0 };
  const resetHooks: Array<() => void> = [];
  const logBuffer: LogEntry[] = [];
  const recordCache = new Map<string, Record<string, string>[]>();
  const heldSockets = new Set<Socket>();
  const faultRuntime: FaultRuntime = {
    faults: world.faults,
    hits: [],
    held: heldSockets,
    requestId: newRequestId,
    retryAfterOnXml429: world.behaviours.retryAfterOnXml429,
    retryAfterOnRest429: world.behaviours.retryAfterOnRest429,
  };
  const sessions = createSessions(world, now);

  const ctx: EmulatorState = {
    world,
    behaviours: world.behaviours,
    heldSockets,
    now,
    clientAddress(req: FastifyRequest) {
      if (world.behaviours.trustClientIpHeader) {
        const header = req.headers['x-emulator-client-ip'];
        const value = Array.isArray(header) ? header[0] : header;
        if (value?.trim()) return value.trim();
      }
      return req.socket.remoteAddress ?? '';
    },
    count(api: EmulatorApi) {
      stats[api]++;
      stats.total++;
    },
    stats: () => ({ requests: { ...stats } }),
    findCompany: (id) => findCompany(world, id),
    findUser,
    effectiveRights,
    sessions,
    applyFault: (req, reply, match, answer) => applyFault(faultRuntime, req, reply, match, answer),
    records(company, object) {
      const key = `${company.id.toLowerCase()}\u0000${object.toUpperCase()}`;
      let list = recordCache.get(key);
      if (!list) {
        list = initialRecords(company, object.toUpperCase());
        recordCache.set(key, list);
      }
      return list;
    },
    supportId: newSupportId,
    requestId: newRequestId,
    log(entry) {
      logBuffer.push(entry);
      if (logBuffer.length > LOG_LIMIT) logBuffer.splice(0, logBuffer.length - LOG_LIMIT);
      options.onLog?.(entry);
    },
    logs: () => logBuffer,
    checkSignIn: (input) => checkSignIn(world, input),
    onReset(hook) {
      resetHooks.push(hook);
    },
    reset() {
      stats.xml = stats.oauth = stats.rest = stats.total = 0;
      sessions.clear();
      faultRuntime.hits.length = 0;
      logBuffer.length = 0;
      for (const hook of resetHooks) hook();
    },
    baseUrl(req) {
      const host = req.headers.host ?? `${req.socket.localAddress}:${req.socket.localPort}`;
      return `${req.protocol}://${host}`;
    },
  };
  return ctx;
}
