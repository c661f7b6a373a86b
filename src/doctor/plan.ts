import { buildRequest, functions, type IntacctFunction, queryLiteral } from '../client/xml/index.js';
import type { ConnectionCredentials } from '../shared/credentials.js';
import type { Requirement } from '../shared/report.js';

/**
 * The probe plan. One request carries the login and every probe (transaction="false", so a failing
 * probe does not stop its siblings): a healthy connection is decided in one round trip, and a broken
 * one usually is too, because each probe answers its own question.
 *
 * Probes and the checks they feed:
 *   login (authentication block) → sender credentials, company, subscription, sender authorization,
 *                                  sign-in, entity
 *   getAPISession                → sign-in confirmed, the entity the session works in
 *   USERINFO read of the user    → Web Services user or regular user, admin privileges, status
 *   USERROLES read of the user   → role assigned (role-based companies)
 *   ROLES read (one row)         → whether the company has roles (role- or user-based permissions)
 *   getUserPermissions           → rights per application and permission (create/update/delete,
 *                                  which cannot be probed without writing), subscribed applications
 *   one read per required object → the object exists (module subscribed) and the user may list/view it
 */

export const CONTROL = {
  session: 'doctor-session',
  userinfo: 'doctor-userinfo',
  userroles: 'doctor-userroles',
  roles: 'doctor-roles',
  permissions: 'doctor-permissions',
  entities: 'doctor-entities',
} as const;

export interface Probe {
  controlId: string;
  object: string;
  via: 'readByQuery' | 'read';
}

export interface ProbePlan {
  functions: IntacctFunction[];
  probes: Probe[];
}

/** One cheap read per distinct object; `read` only when no requirement on the object lists it. */
export function probesFor(requirements: readonly Requirement[]): Probe[] {
  const byObject = new Map<string, Set<string>>();
  for (const r of requirements) {
    const object = r.object.toUpperCase();
    const ops = byObject.get(object) ?? new Set<string>();
    ops.add(r.operation);
    byObject.set(object, ops);
  }
  let i = 0;
  return [...byObject.entries()].map(([object, ops]) => ({
    controlId: `doctor-probe-${++i}-${object}`.slice(0, 250),
    object,
    via: !ops.has('readByQuery') && ops.has('read') ? 'read' : 'readByQuery',
  }));
}

export function buildProbePlan(
  values: ConnectionCredentials,
  requirements: readonly Requirement[],
): ProbePlan {
  const userId = values.userId ?? '';
  const probes = probesFor(requirements);
  const fns: IntacctFunction[] = [
    functions.getAPISession(values.entityId ? { entityId: values.entityId } : {}, CONTROL.session),
  ];
  // The user probes need the user ID; a session diagnosed without one skips them.
  if (userId) fns.push(...userProbes(userId));
  for (const p of probes) {
    fns.push(
      p.via === 'read'
        ? functions.read({ object: p.object, keys: ['0'], fields: 'RECORDNO' }, p.controlId)
        : functions.readByQuery(
            { object: p.object, query: '', fields: 'RECORDNO', pageSize: 1 },
            p.controlId,
          ),
    );
  }
  return { functions: fns, probes };
}

function userProbes(userId: string): IntacctFunction[] {
  return [
    functions.readByQuery(
      { object: 'USERINFO', query: `LOGINID = ${queryLiteral(userId)}`, fields: '*', pageSize: 1 },
      CONTROL.userinfo,
    ),
    functions.readByQuery(
      { object: 'USERROLES', query: `USERID = ${queryLiteral(userId)}`, fields: '*', pageSize: 100 },
      CONTROL.userroles,
    ),
    functions.readByQuery({ object: 'ROLES', query: '', fields: 'NAME', pageSize: 1 }, CONTROL.roles),
    functions.getUserPermissions({ userId }, CONTROL.permissions),
  ];
}

/** The functions of the narrowing request sent without the entity ID after a sign-in failure with one. */
export function entityNarrowingFunctions(userId: string): IntacctFunction[] {
  return [
    functions.readByQuery(
      { object: 'LOCATIONENTITY', query: '', fields: 'LOCATIONID,NAME', pageSize: 1000 },
      CONTROL.entities,
    ),
    functions.readByQuery(
      { object: 'USERINFO', query: `LOGINID = ${queryLiteral(userId)}`, fields: '*', pageSize: 1 },
      CONTROL.userinfo,
    ),
  ];
}

let controlSeq = 0;

export function loginRequest(
  values: ConnectionCredentials,
  fns: IntacctFunction[],
  opts: { withEntity?: boolean; userId?: string; password?: string } = {},
): string {
  const entityId = opts.withEntity === false ? undefined : values.entityId;
  const useSession = !!values.sessionId && !values.userPassword && opts.userId === undefined;
  return buildRequest({
    control: {
      senderId: values.senderId ?? '',
      senderPassword: values.senderPassword ?? '',
      controlId: `doctor-${Date.now()}-${++controlSeq}`,
    },
    operation: {
      transaction: false,
      authentication: useSession
        ? { sessionId: values.sessionId ?? '' }
        : {
            login: {
              userId: opts.userId ?? values.userId ?? '',
              companyId: values.companyId ?? '',
              password: opts.password ?? values.userPassword ?? '',
              ...(entityId ? { entityId } : {}),
            },
          },
      functions: fns,
    },
  });
}
