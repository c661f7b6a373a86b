import { MODULES, type ModuleId, OPERATION_RIGHTS, objectInfo, RIGHT_LABELS } from '../shared/objects.js';
import type { MissingPermission, Requirement } from '../shared/report.js';

/**
 * The user's effective rights as `getUserPermissions` reports them: application (module) name →
 * policy (permission) name → rights. Names are compared case-insensitively because Intacct does not
 * document them (reference U27).
 */
export type RightsMap = Map<string, Map<string, Set<string>>>;

type Tree = unknown;

function isRecord(v: Tree): v is Record<string, Tree> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asList(v: Tree): Tree[] {
  if (v === undefined || v === null || v === '') return [];
  return Array.isArray(v) ? v : [v];
}

function text(v: Tree): string {
  if (typeof v === 'string') return v;
  if (isRecord(v) && typeof v['#text'] === 'string') return v['#text'];
  return '';
}

function key(name: string): string {
  return name.trim().toLowerCase();
}

/** Finds every `appSubscription`-like node (one with an applicationName) anywhere in the result data. */
function collectApps(node: Tree, out: Record<string, Tree>[]): void {
  if (Array.isArray(node)) {
    for (const n of node) collectApps(n, out);
    return;
  }
  if (!isRecord(node)) return;
  if ('applicationName' in node || 'APPLICATIONNAME' in node) {
    out.push(node);
    return;
  }
  for (const v of Object.values(node)) collectApps(v, out);
}

function collectPolicies(node: Tree, out: Record<string, Tree>[]): void {
  if (Array.isArray(node)) {
    for (const n of node) collectPolicies(n, out);
    return;
  }
  if (!isRecord(node)) return;
  if ('policyName' in node || 'POLICYNAME' in node) {
    out.push(node);
    return;
  }
  for (const v of Object.values(node)) collectPolicies(v, out);
}

/** Parses the data of a successful `getUserPermissions` result. */
export function parseUserPermissions(data: readonly unknown[]): RightsMap {
  const apps: Record<string, Tree>[] = [];
  collectApps(data, apps);
  const map: RightsMap = new Map();
  for (const app of apps) {
    const name = text(app.applicationName ?? app.APPLICATIONNAME);
    if (!name) continue;
    const policies: Record<string, Tree>[] = [];
    collectPolicies(app.policies ?? app.POLICIES ?? app, policies);
    const byPolicy = map.get(key(name)) ?? new Map<string, Set<string>>();
    for (const policy of policies) {
      const policyName = text(policy.policyName ?? policy.POLICYNAME);
      if (!policyName) continue;
      const rights = asList(policy.rights ?? policy.RIGHTS)
        .flatMap((r) => text(r).split(/[|,]/))
        .map((r) => key(r))
        .filter(Boolean);
      const set = byPolicy.get(key(policyName)) ?? new Set<string>();
      for (const r of rights) set.add(r);
      byPolicy.set(key(policyName), set);
    }
    map.set(key(name), byPolicy);
  }
  return map;
}

export function moduleName(module: ModuleId): string {
  return MODULES[module].name;
}

/** Whether the rights map grants an operation on an object; undefined when the object is not in our map. */
export function grants(rights: RightsMap, object: string, operation: string): boolean | undefined {
  const info = objectInfo(object);
  const needed = OPERATION_RIGHTS[operation];
  if (!info || !needed) return undefined;
  const app = rights.get(key(MODULES[info.module].name));
  const policy = app?.get(key(info.permission));
  if (!policy) return false;
  return needed.every((r) => policy.has(r));
}

/** Whether the user is subscribed to the application (module) that owns the object. */
export function hasModule(rights: RightsMap, object: string): boolean | undefined {
  const info = objectInfo(object);
  if (!info) return undefined;
  return rights.has(key(MODULES[info.module].name));
}

/** Describes one missing requirement with the module, permission and rights to grant. */
export function describeMissing(req: Requirement | { object: string; operation: string }): MissingPermission {
  const info = objectInfo(req.object);
  const missing: MissingPermission = { object: req.object.toUpperCase(), operation: req.operation };
  if (info) {
    missing.module = MODULES[info.module].name;
    missing.permission = info.permission;
  }
  const rights = OPERATION_RIGHTS[req.operation];
  if (rights) missing.rights = rights.map((r) => RIGHT_LABELS[r]);
  return missing;
}

/**
 * Groups missing requirements into one grant per module and permission, e.g.
 * `Accounts Payable › Vendors: List` — the way an admin sets them on the permission screen.
 */
export function grantLines(missing: readonly MissingPermission[]): string[] {
  const groups = new Map<
    string,
    { module: string; permission: string; rights: Set<string>; objects: Set<string> }
  >();
  for (const m of missing) {
    const module = m.module ?? 'Unknown application';
    const permission = m.permission ?? m.object;
    const k = `${module}\u0000${permission}`;
    const g = groups.get(k) ?? { module, permission, rights: new Set(), objects: new Set() };
    for (const r of m.rights ?? []) g.rights.add(r);
    g.objects.add(m.object);
    groups.set(k, g);
  }
  const order = Object.values(RIGHT_LABELS) as string[];
  return [...groups.values()].map((g) => {
    const rights = [...g.rights].sort((a, b) => order.indexOf(a) - order.indexOf(b));
    return `${g.module} › ${g.permission}: ${rights.join(', ') || 'the needed rights'} (for ${[...g.objects].join(', ')})`;
  });
}

/** A probe failure that says the user lacks rights for the operation. */
export function isPermissionDenied(texts: string): boolean {
  return /do not have permission|not have (the )?permission|permission denied|not authorized to (perform|access)|insufficient (rights|privileges)/i.test(
    texts,
  );
}

/** A probe failure that says the object does not exist in the company (usually a module not subscribed). */
export function isObjectMissing(texts: string): boolean {
  return /object definition .* not found|is not subscribed|no such object|unknown object/i.test(texts);
}

export function isTemporarilyOffline(texts: string): boolean {
  return /temporarily off-?line|please try again later/i.test(texts);
}
