import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { OPERATIONS, type Operation, type Requirement } from '../shared/report.js';

/** A `--require` value that cannot be used; the message names the bad part. */
export class RequirementSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequirementSpecError';
  }
}

const OBJECT_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

function requirement(object: unknown, operation: unknown, where: string): Requirement {
  if (typeof object !== 'string' || !OBJECT_NAME.test(object.trim())) {
    throw new RequirementSpecError(
      `${where}: object must be an Intacct object name such as VENDOR (got ${JSON.stringify(object)})`,
    );
  }
  const op = typeof operation === 'string' ? operation.trim() : operation;
  if (typeof op !== 'string' || !(OPERATIONS as readonly string[]).includes(op)) {
    throw new RequirementSpecError(
      `${where}: operation must be one of ${OPERATIONS.join(', ')} (got ${JSON.stringify(operation)})`,
    );
  }
  return { object: object.trim().toUpperCase(), operation: op as Operation };
}

/** Parses `OBJECT:operation[,OBJECT:operation...]`. */
export function parseRequirementList(spec: string): Requirement[] {
  const parts = spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0)
    throw new RequirementSpecError('--require: empty; expected OBJECT:operation[,OBJECT:operation...]');
  return parts.map((part) => {
    const [object, operation, extra] = part.split(':');
    if (extra !== undefined || operation === undefined) {
      throw new RequirementSpecError(`--require: "${part}" is not of the form OBJECT:operation`);
    }
    return requirement(object, operation, `--require "${part}"`);
  });
}

/** Parses a YAML or JSON list of `{object, operation}`. */
export function parseRequirementFile(text: string, file: string): Requirement[] {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new RequirementSpecError(
      `--require @${file}: not valid YAML or JSON (${(error as Error).message.split('\n')[0]})`,
    );
  }
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new RequirementSpecError(`--require @${file}: expected a non-empty list of {object, operation}`);
  }
  return raw.map((item, i) => {
    if (!item || typeof item !== 'object') {
      throw new RequirementSpecError(`--require @${file}: item [${i}] must be {object, operation}`);
    }
    const rec = item as Record<string, unknown>;
    return requirement(rec.object, rec.operation, `--require @${file} [${i}]`);
  });
}

/** `@FILE` reads the file (relative to `cwd`); anything else is the inline list. */
export function parseRequirementSpec(spec: string, cwd: string): Requirement[] {
  if (spec.startsWith('@')) {
    const file = spec.slice(1);
    if (!file) throw new RequirementSpecError('--require @: missing file name');
    let text: string;
    try {
      text = readFileSync(resolve(cwd, file), 'utf8');
    } catch (error) {
      throw new RequirementSpecError(
        `--require @${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    return parseRequirementFile(text, file);
  }
  return parseRequirementList(spec);
}
