import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ConnectionCredentials, DEFAULT_ENDPOINT_URL } from '../../shared/credentials.js';

/**
 * Credentials resolution with the official SDKs' names and precedence (reference §5): explicit
 * options, then `INTACCT_*` environment variables, then a profile of `~/.intacct/credentials.ini`.
 * As in the SDKs, a group (sender: ID + password; login: company + user + password) is read from the
 * profile only when every value of that group is still unset, so partial values are never merged.
 * Differences: an empty string counts as unset, and `INTACCT_PROFILE` (the CLI's name) is honoured
 * before the SDK's `INTACCT_SENDER_PROFILE` / `INTACCT_COMPANY_PROFILE`.
 */
export interface CredentialOptions extends ConnectionCredentials {
  /** Profile (INI section) name; default `INTACCT_PROFILE` or `default`. */
  profile?: string;
  /** Profile file; default `<home>/.intacct/credentials.ini`. */
  profileFile?: string;
}

export type CredentialSource = 'option' | 'env' | 'profile' | 'default';

export interface ResolvedCredentials {
  credentials: ConnectionCredentials & { endpointUrl: string };
  /** Where each value that is set came from. */
  sources: Partial<Record<keyof ConnectionCredentials, CredentialSource>>;
  profileName: string;
  profileFile: string;
  /** Whether a group was taken from the profile file. */
  profileUsed: boolean;
  /** Human names of what is still missing for an XML login (empty when complete). */
  missing: string[];
}

export class CredentialsError extends Error {
  readonly missing: string[];
  constructor(message: string, missing: string[] = []) {
    super(message);
    this.name = 'CredentialsError';
    this.missing = missing;
  }
}

type Env = Record<string, string | undefined>;

// No variable for the session ID: a stale one in the environment would silently win over login.
const ENV: Partial<Record<keyof ConnectionCredentials, string>> = {
  endpointUrl: 'INTACCT_ENDPOINT_URL',
  apiUrl: 'INTACCT_API_URL',
  senderId: 'INTACCT_SENDER_ID',
  senderPassword: 'INTACCT_SENDER_PASSWORD',
  companyId: 'INTACCT_COMPANY_ID',
  entityId: 'INTACCT_ENTITY_ID',
  userId: 'INTACCT_USER_ID',
  userPassword: 'INTACCT_USER_PASSWORD',
  clientId: 'INTACCT_CLIENT_ID',
  clientSecret: 'INTACCT_CLIENT_SECRET',
};

const INI_KEYS: Partial<Record<keyof ConnectionCredentials, string>> = {
  senderId: 'sender_id',
  senderPassword: 'sender_password',
  endpointUrl: 'endpoint_url',
  companyId: 'company_id',
  entityId: 'entity_id',
  userId: 'user_id',
  userPassword: 'user_password',
  clientId: 'client_id',
  clientSecret: 'client_secret',
  apiUrl: 'api_url',
};

const LABELS: Record<string, string> = {
  senderId: 'Sender ID',
  senderPassword: 'Sender Password',
  companyId: 'Company ID',
  userId: 'User ID',
  userPassword: 'User Password',
};

/** A small INI reader for the credentials file: `[section]`, `key = value`, `;`/`#` comments, quotes. */
export function parseIni(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = Object.create(null);
  let section: Record<string, string> | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      const name = (header[1] as string).trim();
      section = out[name] ?? Object.create(null);
      out[name] = section as Record<string, string>;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0 || !section) continue;
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) {
      value = value.slice(1, -1);
    }
    section[key] = value;
  }
  return out;
}

const set = (v: string | undefined | null): v is string => typeof v === 'string' && v !== '';

export function defaultProfileFile(homeDir: string): string {
  return join(homeDir, '.intacct', 'credentials.ini');
}

/**
 * Resolves credentials without throwing for missing values (the doctor reports those itself); throws
 * `CredentialsError` only when a needed profile section does not exist or the file cannot be read.
 */
export function resolveCredentials(
  options: CredentialOptions,
  env: Env,
  homeDir: string,
): ResolvedCredentials {
  const creds: ConnectionCredentials = {};
  const sources: ResolvedCredentials['sources'] = {};
  const keys: Array<keyof ConnectionCredentials> = [
    ...(Object.keys(ENV) as Array<keyof ConnectionCredentials>),
    'sessionId',
  ];
  for (const key of keys) {
    const fromOption = options[key];
    const envName = ENV[key];
    const fromEnv = envName ? env[envName] : undefined;
    if (set(fromOption)) {
      creds[key] = fromOption;
      sources[key] = 'option';
    } else if (set(fromEnv)) {
      creds[key] = fromEnv;
      sources[key] = 'env';
    }
  }
  const profileName =
    [options.profile, env.INTACCT_PROFILE, env.INTACCT_SENDER_PROFILE, env.INTACCT_COMPANY_PROFILE].find(
      set,
    ) ?? 'default';
  const profileFile = set(options.profileFile) ? options.profileFile : defaultProfileFile(homeDir);

  let section: Record<string, string> | null | undefined;
  const profile = (): Record<string, string> | null => {
    if (section !== undefined) return section;
    if (!existsSync(profileFile)) {
      section = null;
      return section;
    }
    let text: string;
    try {
      text = readFileSync(profileFile, 'utf8');
    } catch (err) {
      throw new CredentialsError(
        `Cannot read credentials file ${profileFile}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const found = parseIni(text)[profileName];
    if (!found)
      throw new CredentialsError(
        `Profile Name "${profileName}" not found in credentials file ${profileFile}`,
      );
    section = found;
    return section;
  };

  let profileUsed = false;
  const fill = (keys: Array<keyof ConnectionCredentials>) => {
    const data = profile();
    if (!data) return;
    profileUsed = true;
    for (const key of keys) {
      const iniKey = INI_KEYS[key];
      const value = iniKey ? data[iniKey] : undefined;
      if (!set(creds[key]) && set(value)) {
        creds[key] = value;
        sources[key] = 'profile';
      }
    }
  };
  if (!set(creds.senderId) && !set(creds.senderPassword)) fill(['senderId', 'senderPassword', 'endpointUrl']);
  // A session ID replaces the login group, so the profile is not consulted for it then.
  if (!set(creds.sessionId) && !set(creds.companyId) && !set(creds.userId) && !set(creds.userPassword)) {
    fill(['companyId', 'entityId', 'userId', 'userPassword']);
  }
  if (!set(creds.clientId) && !set(creds.clientSecret) && existsSync(profileFile)) {
    // Not an SDK key: our OAuth client and REST URL may live in the same profile.
    try {
      fill(['clientId', 'clientSecret', 'apiUrl']);
    } catch {
      // The profile is optional for OAuth values; the XML groups above already reported a bad one.
    }
  }

  let endpointUrl = creds.endpointUrl;
  if (!set(endpointUrl)) {
    endpointUrl = DEFAULT_ENDPOINT_URL;
    sources.endpointUrl = 'default';
  }
  const missing: string[] = [];
  for (const key of ['senderId', 'senderPassword'] as const)
    if (!set(creds[key])) missing.push(LABELS[key] as string);
  if (!set(creds.sessionId)) {
    for (const key of ['companyId', 'userId', 'userPassword'] as const) {
      if (!set(creds[key])) missing.push(LABELS[key] as string);
    }
  }
  return {
    credentials: { ...creds, endpointUrl },
    sources,
    profileName,
    profileFile,
    profileUsed,
    missing,
  };
}

const ENV_OF_LABEL: Record<string, string> = {
  'Sender ID': 'INTACCT_SENDER_ID',
  'Sender Password': 'INTACCT_SENDER_PASSWORD',
  'Company ID': 'INTACCT_COMPANY_ID',
  'User ID': 'INTACCT_USER_ID',
  'User Password': 'INTACCT_USER_PASSWORD',
};

/** Throws a `CredentialsError` naming exactly what is missing, in the SDK's words. */
export function assertCompleteCredentials(resolved: ResolvedCredentials): void {
  if (resolved.missing.length === 0) return;
  const first = resolved.missing[0] as string;
  const list = resolved.missing
    .map(
      (label) =>
        `${label} (option, env variable "${ENV_OF_LABEL[label]}", or profile "${resolved.profileName}")`,
    )
    .join(', ');
  const loginMissing = resolved.missing.filter((m) => !m.startsWith('Sender'));
  const hint =
    loginMissing.length > 0
      ? ' Authentication credentials [Company ID, User ID, and User Password] or [Session ID] are required and cannot be blank.'
      : '';
  throw new CredentialsError(
    `Required ${first} not supplied in config or env variable "${ENV_OF_LABEL[first]}". Missing: ${list}.${hint}`,
    resolved.missing,
  );
}
