import type { CauseId } from '../shared/causes.js';
import type { ConnectionCredentials } from '../shared/credentials.js';

/**
 * Input sanity, decided before any request. The choices, in short:
 * - An empty required field stops the diagnosis (nothing useful can be sent); its cause is the layer
 *   that would reject it (no sender → sender.invalid_credentials, no company → company.not_found, no
 *   user or password → user.invalid_credentials).
 * - Leading/trailing whitespace in an ID breaks sign-in (Intacct compares IDs exactly), so it is an error
 *   finding; the fix is unambiguous, so the rest is diagnosed with the trimmed value.
 * - `company|entity` in Company ID is a warning: some clients accept that form, but the XML login has its
 *   own entity field, and a value with a `|` breaks wherever the two are used separately. The split is
 *   unambiguous, so the rest is diagnosed with the parts. `console|company|entity` is split the same
 *   way (company is the middle part). An entity typed in both places with different values stops.
 * - An email address as user ID is only a warning: Intacct user IDs may legitimately look like one.
 * - Spaces inside an ID are a warning: the value is sent as typed, since it may be right.
 * Passwords are never inspected beyond emptiness: any character may be part of one.
 */

export type InputField = 'senderId' | 'senderPassword' | 'companyId' | 'entityId' | 'userId' | 'userPassword';

export interface InputIssue {
  field: InputField;
  cause: CauseId;
  severity: 'error' | 'warning';
  detail: string;
  correction?: string;
}

export interface InputCheck {
  /** The values to diagnose with (trimmed / split when that is unambiguous). */
  values: ConnectionCredentials;
  issues: InputIssue[];
  /** True when nothing can be sent: a required value is missing or the input is ambiguous. */
  stop: boolean;
}

const FIELD_LABEL: Record<InputField, string> = {
  senderId: 'Sender ID',
  senderPassword: 'Sender password',
  companyId: 'Company ID',
  entityId: 'Entity ID',
  userId: 'User ID',
  userPassword: 'Password',
};

const FIELD_CAUSE: Record<InputField, CauseId> = {
  senderId: 'sender.invalid_credentials',
  senderPassword: 'sender.invalid_credentials',
  companyId: 'company.not_found',
  entityId: 'entity.not_found',
  userId: 'user.invalid_credentials',
  userPassword: 'user.invalid_credentials',
};

const EMAIL = /^[^\s@|]+@[^\s@|]+\.[^\s@|]+$/;

export interface InputOptions {
  /** `company` scope: only the sender and company are needed. */
  scope?: 'full' | 'company';
}

export function checkInput(credentials: ConnectionCredentials, options: InputOptions = {}): InputCheck {
  const values: ConnectionCredentials = { ...credentials };
  const issues: InputIssue[] = [];
  let stop = false;
  // With a session ID (and no password) the session is what gets diagnosed, as the SDKs prefer it.
  const sessionMode = !!credentials.sessionId && !credentials.userPassword;
  const required: InputField[] =
    options.scope === 'company'
      ? ['senderId', 'senderPassword', 'companyId']
      : sessionMode
        ? ['senderId', 'senderPassword']
        : ['senderId', 'senderPassword', 'companyId', 'userId', 'userPassword'];

  for (const field of required) {
    const value = values[field];
    if (value === undefined || value === null || value.trim() === '') {
      issues.push({
        field,
        cause: FIELD_CAUSE[field],
        severity: 'error',
        detail: `${FIELD_LABEL[field]} is empty.`,
        correction: `Enter the ${FIELD_LABEL[field].toLowerCase()}.`,
      });
      stop = true;
    }
  }

  for (const field of ['senderId', 'companyId', 'entityId', 'userId'] as const) {
    const value = values[field];
    if (!value || value.trim() === '') continue;
    const trimmed = value.trim();
    if (trimmed !== value) {
      issues.push({
        field,
        cause: FIELD_CAUSE[field],
        severity: 'error',
        detail: `${FIELD_LABEL[field]} "${value}" has ${describeWhitespace(value)}; Intacct compares IDs exactly, so it will not match "${trimmed}".`,
        correction: `Remove the spaces: use "${trimmed}".`,
      });
      values[field] = trimmed;
    }
    if (/\s/.test(trimmed)) {
      issues.push({
        field,
        cause: FIELD_CAUSE[field],
        severity: 'warning',
        detail: `${FIELD_LABEL[field]} "${trimmed}" contains a space; Intacct IDs rarely do. It is sent as typed.`,
      });
    }
  }
  if (values.entityId !== undefined && values.entityId.trim() === '') delete values.entityId;

  const company = values.companyId;
  if (company?.includes('|')) {
    const parts = company.split('|').map((p) => p.trim());
    const [companyPart, entityPart] =
      parts.length === 3
        ? [parts[1], parts[2]]
        : parts.length === 2
          ? [parts[0], parts[1]]
          : [undefined, undefined];
    const shape = parts.length === 3 ? '`console|company|entity`' : '`company|entity`';
    if (!companyPart || parts.some((p) => p === '') || parts.length > 3) {
      issues.push({
        field: 'companyId',
        cause: 'company.not_found',
        severity: 'error',
        detail: `Company ID "${company}" contains "|" but is not of the form company|entity; it cannot be split safely.`,
        correction:
          'Enter only the company ID (Company › Setup › Company) and put the entity ID in its own field.',
      });
      stop = true;
    } else if (values.entityId && entityPart && values.entityId !== entityPart) {
      issues.push({
        field: 'companyId',
        cause: 'company.not_found',
        severity: 'error',
        detail: `Company ID "${company}" has the ${shape} form, naming entity "${entityPart}", but the Entity ID field says "${values.entityId}".`,
        correction: `Enter "${companyPart}" as the company ID and the one entity ID you mean in the Entity ID field.`,
      });
      stop = true;
    } else {
      issues.push({
        field: 'companyId',
        cause: 'company.not_found',
        severity: 'warning',
        detail: `Company ID "${company}" has the ${shape} form. The XML login has a separate entity field, and a company ID with "|" is not found wherever the two are used separately. Diagnosed with company "${companyPart}" and entity "${entityPart}".`,
        correction: `Enter "${companyPart}" as the company ID and "${entityPart}" as the entity ID.`,
      });
      values.companyId = companyPart;
      if (entityPart) values.entityId = entityPart;
    }
  }

  const user = values.userId;
  if (user && EMAIL.test(user)) {
    issues.push({
      field: 'userId',
      cause: 'user.invalid_credentials',
      severity: 'warning',
      detail: `User ID "${user}" looks like an email address. Intacct signs in with the user ID (Company › Admin › Web Services users), which is usually not the email.`,
    });
  }
  return { values, issues, stop };
}

function describeWhitespace(value: string): string {
  const lead = /^\s/.test(value);
  const trail = /\s$/.test(value);
  if (lead && trail) return 'spaces at the start and the end';
  return lead ? 'a space at the start' : 'a space at the end';
}
