import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { packagePath } from '../../shared/paths.js';
import { type World, type WorldInput, worldSchema } from './schema.js';

export const DEMO_WORLD_PATH = packagePath('worlds', 'demo.yaml');

/** A world file that cannot be used; `path` is the location inside it, e.g. `companies[2].users[0].status`. */
export class WorldError extends Error {
  constructor(
    readonly file: string,
    readonly path: string,
    readonly expected: string,
  ) {
    super(`${file}: ${path ? `${path}: ` : ''}${expected}`);
    this.name = 'WorldError';
  }
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_value') {
    return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}`;
  }
  return issue.message;
}

/** Parses and validates world text (YAML with anchors, or JSON). `source` names it in errors. */
export function parseWorld(text: string, source = '<world>'): World {
  let raw: unknown;
  try {
    raw = parseYaml(text, { merge: true, maxAliasCount: 1000 });
  } catch (error) {
    throw new WorldError(source, '', `not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  if (raw === null || raw === undefined) raw = {};
  return validateWorld(raw, source);
}

export function validateWorld(raw: unknown, source = '<world>'): World {
  const result = worldSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new WorldError(source, formatPath(issue.path), describeIssue(issue));
  }
  checkReferences(result.data, source);
  return result.data;
}

export function loadWorldFile(file: string): World {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new WorldError(file, '', `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseWorld(text, file);
}

export function loadDemoWorld(): World {
  return loadWorldFile(DEMO_WORLD_PATH);
}

export function defineWorld(input: WorldInput): World {
  return validateWorld(input, '<inline world>');
}

function checkReferences(world: World, source: string): void {
  const unique = (ids: string[], where: (i: number) => string, what: string) => {
    const seen = new Set<string>();
    ids.forEach((value, i) => {
      if (seen.has(value)) throw new WorldError(source, where(i), `duplicate ${what} "${value}"`);
      seen.add(value);
    });
  };
  unique(
    world.senders.map((s) => s.id),
    (i) => `senders[${i}].id`,
    'sender ID',
  );
  unique(
    world.clients.map((c) => c.id),
    (i) => `clients[${i}].id`,
    'client ID',
  );
  unique(
    world.companies.map((c) => c.id.toLowerCase()),
    (i) => `companies[${i}].id`,
    'company ID',
  );
  world.companies.forEach((company, ci) => {
    const at = `companies[${ci}]`;
    unique(
      company.users.map((u) => u.id),
      (i) => `${at}.users[${i}].id`,
      'user ID',
    );
    unique(
      company.roles.map((r) => r.name),
      (i) => `${at}.roles[${i}].name`,
      'role name',
    );
    unique(
      company.entities.map((e) => e.id),
      (i) => `${at}.entities[${i}].id`,
      'entity ID',
    );
    const roleNames = new Set(company.roles.map((r) => r.name));
    const entityIds = new Set(company.entities.map((e) => e.id));
    company.users.forEach((user, ui) => {
      user.roles.forEach((role, ri) => {
        if (!roleNames.has(role)) {
          throw new WorldError(
            source,
            `${at}.users[${ui}].roles[${ri}]`,
            `a role defined in ${at}.roles, got "${role}"`,
          );
        }
      });
      if (Array.isArray(user.entities)) {
        user.entities.forEach((entity, ei) => {
          if (!entityIds.has(entity)) {
            throw new WorldError(
              source,
              `${at}.users[${ui}].entities[${ei}]`,
              `an entity defined in ${at}.entities, got "${entity}"`,
            );
          }
        });
      }
    });
  });
}
