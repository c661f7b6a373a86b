import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

/** Object paths pino censors wherever they appear in a log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.password',
  '*.userPassword',
  '*.senderPassword',
  '*.clientSecret',
  '*.client_secret',
  '*.secret',
  '*.sessionId',
  '*.token',
  '*.apiKey',
  '*.accessToken',
  '*.refreshToken',
  '*.code_verifier',
  'credentials',
  '*.credentials',
  'body',
  '*.body',
];

/**
 * Values known to be secret (API key, sender password, client secret, submitted passwords). Anything
 * that reaches the log stream is scrubbed of them as a last line of defence behind path redaction.
 */
export class SecretValues {
  private readonly values = new Set<string>();
  private readonly recent: string[] = [];

  constructor(private readonly maxRecent = 1000) {}

  /** Long-lived secrets: kept for the life of the process. */
  addFixed(value: string | undefined): void {
    if (value && value.length >= 4) this.values.add(value);
  }

  /** Per-request secrets (a submitted password): kept in a bounded window. */
  addTransient(value: string | undefined): void {
    if (!value || value.length < 4 || this.values.has(value)) return;
    this.recent.push(value);
    if (this.recent.length > this.maxRecent) this.recent.shift();
  }

  scrub(text: string): string {
    let out = text;
    for (const v of [...this.values, ...this.recent]) {
      if (out.includes(v)) out = out.split(v).join('[redacted]');
      // JSON escapes some characters; catch the escaped form too.
      const escaped = JSON.stringify(v).slice(1, -1);
      if (escaped !== v && out.includes(escaped)) out = out.split(escaped).join('[redacted]');
    }
    return out;
  }
}

class ScrubbingStream extends Writable {
  constructor(
    private readonly secrets: SecretValues,
    private readonly target: NodeJS.WritableStream,
  ) {
    super();
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    this.target.write(this.secrets.scrub(chunk.toString()));
    done();
  }
}

export interface LoggerOptions {
  level?: string;
  destination?: NodeJS.WritableStream;
  secrets: SecretValues;
}

export function createLogger(options: LoggerOptions): Logger {
  const stream = new ScrubbingStream(options.secrets, options.destination ?? process.stdout);
  return pino(
    {
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        req: (req: { method?: string; url?: string; ip?: string }) => ({
          method: req.method,
          url: redactUrl(req.url ?? ''),
          ip: req.ip,
        }),
      },
    },
    stream,
  );
}

/** Connect tokens and OAuth codes travel in query strings; keep the parameter names, drop the values. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|code|state|access_token|refresh_token|secret)=)[^&#]*/gi, '$1[redacted]');
}
