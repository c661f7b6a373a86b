import { writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { CredentialsError, resolveCredentials } from '../../client/xml/index.js';
import { diagnose } from '../../doctor/index.js';
import { redactText } from '../../doctor/redact.js';
import { ProgressPrinter, renderReport, renderSupportBundle } from '../../doctor/render.js';
import { parseRequirementSpec, RequirementSpecError } from '../../doctor/require.js';
import { secretValues } from '../../doctor/session.js';
import type { ConnectionCredentials } from '../../shared/credentials.js';
import type { DoctorOptions, DoctorReport, Requirement, TranscriptEntry } from '../../shared/report.js';
import { type CliIO, EXIT, UsageError } from '../context.js';
import type { SetExit } from '../index.js';

interface DoctorFlags {
  endpointUrl?: string;
  apiUrl?: string;
  senderId?: string;
  senderPassword?: string;
  companyId?: string;
  entityId?: string;
  userId?: string;
  userPassword?: string;
  clientId?: string;
  clientSecret?: string;
  profile?: string;
  require?: string;
  json?: boolean;
  transcript?: string;
  supportBundle?: string;
  timeout?: string;
  callbackPort?: string;
  redirectUri?: string;
  oauthLogin?: boolean;
  scope?: string;
}

const CREDENTIAL_FLAGS: Array<[keyof ConnectionCredentials, string, string, string]> = [
  [
    'endpointUrl',
    '--endpoint-url <url>',
    'INTACCT_ENDPOINT_URL',
    'XML gateway URL (default https://api.intacct.com/ia/xml/xmlgw.phtml)',
  ],
  [
    'apiUrl',
    '--api-url <url>',
    'INTACCT_API_URL',
    'REST base URL (default https://api.intacct.com/ia/api/v1)',
  ],
  ['senderId', '--sender-id <id>', 'INTACCT_SENDER_ID', 'Web Services sender ID'],
  [
    'senderPassword',
    '--sender-password <password>',
    'INTACCT_SENDER_PASSWORD',
    'Web Services sender password',
  ],
  ['companyId', '--company-id <id>', 'INTACCT_COMPANY_ID', 'company ID'],
  ['entityId', '--entity-id <id>', 'INTACCT_ENTITY_ID', 'entity ID (multi-entity companies)'],
  ['userId', '--user-id <id>', 'INTACCT_USER_ID', 'user ID (a Web Services user)'],
  ['userPassword', '--user-password <password>', 'INTACCT_USER_PASSWORD', 'user password'],
  ['clientId', '--client-id <id>', 'INTACCT_CLIENT_ID', 'OAuth 2.0 client ID (selects OAuth mode)'],
  ['clientSecret', '--client-secret <secret>', 'INTACCT_CLIENT_SECRET', 'OAuth 2.0 client secret'],
];

const FLAG_OF: Record<string, [string, string]> = {
  senderId: ['--sender-id', 'INTACCT_SENDER_ID'],
  senderPassword: ['--sender-password', 'INTACCT_SENDER_PASSWORD'],
  companyId: ['--company-id', 'INTACCT_COMPANY_ID'],
  userId: ['--user-id', 'INTACCT_USER_ID'],
  userPassword: ['--user-password', 'INTACCT_USER_PASSWORD'],
  clientSecret: ['--client-secret', 'INTACCT_CLIENT_SECRET'],
};

function requiredFields(creds: ConnectionCredentials, scope: string, oauthLogin: boolean): string[] {
  if (oauthLogin) return ['clientSecret'];
  if (creds.clientId) return ['clientSecret', 'companyId', 'userId'];
  if (scope === 'company') return ['senderId', 'senderPassword', 'companyId'];
  return ['senderId', 'senderPassword', 'companyId', 'userId', 'userPassword'];
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function writeFileOrUsage(path: string, text: string, flag: string): void {
  try {
    writeFileSync(path, text, { mode: 0o600 });
  } catch (error) {
    throw new UsageError(
      `${flag} ${path}: cannot be written (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

export function registerDoctor(program: Command, io: CliIO, setExit: SetExit): void {
  const cmd = program
    .command('doctor')
    .description('Diagnose one Intacct connection and print a report (exit 0 healthy, 1 problems, 2 usage).');
  for (const [, flag, env, help] of CREDENTIAL_FLAGS) cmd.addOption(new Option(flag, `${help} [env ${env}]`));
  cmd
    .option('--profile <name>', 'section of ~/.intacct/credentials.ini [env INTACCT_PROFILE]')
    .option(
      '--require <spec>',
      'what the application needs: OBJECT:operation[,...] (readByQuery, read, create, update, delete) or @FILE (YAML/JSON list of {object, operation}); default: a read-only accounting sync',
    )
    .addOption(
      new Option('--scope <scope>', 'full, or company: only what can be known from the company ID').choices([
        'full',
        'company',
      ]),
    )
    .option('--json', 'print only the JSON report')
    .option('--transcript <file>', 'write the request/response transcript (secrets redacted)')
    .option('--support-bundle <file>', 'write a Markdown bundle for a Sage support case')
    .option('--timeout <ms>', 'per-request timeout in milliseconds (default 30000)')
    .option('--oauth-login', 'diagnose the OAuth authorization-code flow through a browser sign-in')
    .option('--callback-port <port>', 'with --oauth-login: local port of the callback server (default 3000)')
    .option(
      '--redirect-uri <url>',
      'with --oauth-login: the registered redirect URI (default http://127.0.0.1:<callback-port>/oauth/callback)',
    )
    .action(async (flags: DoctorFlags) => {
      const report = await runDoctor(flags, io);
      setExit(report.ok ? EXIT.ok : EXIT.problems);
    });
}

async function runDoctor(flags: DoctorFlags, io: CliIO): Promise<DoctorReport> {
  const scope = flags.scope ?? 'full';
  const loginOptions = oauthLoginOptions(flags);
  let timeoutMs: number | undefined;
  if (flags.timeout !== undefined) {
    timeoutMs = Number(flags.timeout);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
      throw new UsageError(`--timeout: expected a positive number of milliseconds (got "${flags.timeout}")`);
    }
  }
  let requirements: Requirement[] | undefined;
  if (flags.require !== undefined) {
    try {
      requirements = parseRequirementSpec(flags.require, io.cwd);
    } catch (error) {
      if (error instanceof RequirementSpecError) throw new UsageError(error.message);
      throw error;
    }
  }
  const options: Record<string, string> = {};
  for (const [key] of CREDENTIAL_FLAGS) {
    const v = flags[key as keyof DoctorFlags];
    if (typeof v === 'string') options[key] = v;
  }
  let credentials: ConnectionCredentials;
  try {
    const resolved = resolveCredentials(
      { ...options, ...(flags.profile ? { profile: flags.profile } : {}) },
      io.env,
      io.env.HOME || homedir(),
    );
    credentials = resolved.credentials;
  } catch (error) {
    if (error instanceof CredentialsError) throw new UsageError(`--profile: ${error.message}`);
    throw error;
  }
  if (!credentials.apiUrl && io.env.INTACCT_API_URL) credentials.apiUrl = io.env.INTACCT_API_URL;
  for (const [key, flag, env] of [
    ['endpointUrl', '--endpoint-url', 'INTACCT_ENDPOINT_URL'],
    ['apiUrl', '--api-url', 'INTACCT_API_URL'],
  ] as const) {
    const value = credentials[key];
    if (value && !isHttpUrl(value))
      throw new UsageError(`${flag} (or ${env}): not an http(s) URL: "${value}"`);
  }
  const missing = requiredFields(credentials, scope, flags.oauthLogin === true).filter(
    (f) => !credentials[f as keyof ConnectionCredentials],
  );
  if (missing.length) {
    const names = missing.map((f) => {
      const [flag, env] = FLAG_OF[f] ?? [f, ''];
      return `${flag} (or ${env})`;
    });
    throw new UsageError(`missing ${names.join(', ')}`);
  }

  const tty = io.stdout.isTTY === true && !flags.json;
  const color = tty && !('NO_COLOR' in io.env) && io.env.TERM !== 'dumb';
  const style = { color };
  const transcript: TranscriptEntry[] = [];
  const printer = flags.json ? undefined : new ProgressPrinter(io.stdout, tty, style);
  const doctorOptions: DoctorOptions = {
    credentials,
    transcript,
    ...(requirements ? { require: requirements } : {}),
    ...(timeoutMs ? { timeoutMs } : {}),
    ...(scope === 'company' ? { scope: 'company' as const } : {}),
    ...(printer ? { onProgress: printer.listener } : {}),
  };
  if (printer) {
    const s = credentials;
    const who =
      scope === 'company'
        ? `company ${s.companyId}`
        : `${s.userId}@${s.companyId}${s.entityId ? `|${s.entityId}` : ''}`;
    io.stdout.write(
      `Diagnosing ${credentials.clientId ? 'OAuth 2.0' : 'XML Web Services'} connection for ${who}\n`,
    );
  }
  let report: DoctorReport;
  try {
    if (flags.oauthLogin) {
      const specifier = '../../doctor/oauth/login.js';
      const mod = (await import(specifier)) as {
        oauthLoginDiagnosis: (
          o: DoctorOptions & {
            openBrowser?: (url: string) => void;
            callbackPort?: number;
            redirectUri?: string;
          },
        ) => Promise<DoctorReport>;
      };
      report = await mod.oauthLoginDiagnosis({
        ...doctorOptions,
        ...loginOptions,
        openBrowser: (url) => io.stderr.write(`Open this address in a browser to sign in:\n  ${url}\n`),
      });
    } else {
      report = await diagnose(doctorOptions);
    }
  } finally {
    printer?.stop();
  }

  const secrets = secretValues(credentials);
  if (flags.transcript) {
    writeFileOrUsage(
      resolve(io.cwd, flags.transcript),
      redactText(`${JSON.stringify(transcript, null, 2)}\n`, secrets),
      '--transcript',
    );
  }
  if (flags.supportBundle) {
    writeFileOrUsage(
      resolve(io.cwd, flags.supportBundle),
      renderSupportBundle(report, transcript, secrets),
      '--support-bundle',
    );
  }
  if (flags.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else io.stdout.write(`\n${renderReport(report, style)}`);
  return report;
}

function oauthLoginOptions(flags: DoctorFlags): { callbackPort?: number; redirectUri?: string } {
  const out: { callbackPort?: number; redirectUri?: string } = {};
  if (flags.callbackPort !== undefined) {
    const port = Number(flags.callbackPort);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new UsageError(`--callback-port: expected a port number 0-65535 (got "${flags.callbackPort}")`);
    }
    out.callbackPort = port;
  }
  if (flags.redirectUri !== undefined) {
    if (!URL.canParse(flags.redirectUri)) {
      throw new UsageError(`--redirect-uri: expected an absolute URL (got "${flags.redirectUri}")`);
    }
    out.redirectUri = flags.redirectUri;
  }
  return out;
}
