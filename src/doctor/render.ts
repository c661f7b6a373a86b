import type {
  CheckResult,
  CheckStatus,
  DoctorReport,
  ProgressEvent,
  TranscriptEntry,
} from '../shared/report.js';
import { redactText } from './redact.js';
import { rootFinding } from './report.js';

/** Terminal styling; plain text when colours are off. */
export interface Style {
  color: boolean;
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, gray: 90, bold: 1 } as const;

function paint(style: Style, code: keyof typeof CODES, text: string): string {
  return style.color ? `\u001b[${CODES[code]}m${text}\u001b[0m` : text;
}

const MARK: Record<CheckStatus, { plain: string; code: keyof typeof CODES }> = {
  pass: { plain: 'PASS', code: 'green' },
  fail: { plain: 'FAIL', code: 'red' },
  warn: { plain: 'WARN', code: 'yellow' },
  skip: { plain: 'SKIP', code: 'gray' },
  unknown: { plain: '  ? ', code: 'gray' },
};

export function checkLine(check: CheckResult, style: Style): string {
  const mark = MARK[check.status];
  const ms = check.ms ? paint(style, 'gray', ` ${check.ms} ms`) : '';
  return `  ${paint(style, mark.code, `[${mark.plain}]`)} ${check.title}${ms}`;
}

/** The readable report printed after the live progress. */
export function renderReport(
  report: DoctorReport,
  style: Style,
  opts: { withChecks?: boolean } = {},
): string {
  const lines: string[] = [];
  if (opts.withChecks) {
    for (const check of report.checks) lines.push(checkLine(check, style));
    lines.push('');
  }
  const root = rootFinding(report);
  if (report.ok) {
    lines.push(paint(style, 'green', paint(style, 'bold', 'Healthy: the connection works.')));
  } else {
    lines.push(
      paint(style, 'red', paint(style, 'bold', `Problem found: ${root?.title ?? 'see the findings below'}`)),
    );
  }
  report.findings.forEach((f, i) => {
    lines.push('');
    const tag = f.severity === 'error' ? paint(style, 'red', 'error') : paint(style, 'yellow', f.severity);
    lines.push(`${i + 1}. ${paint(style, 'bold', f.title)} (${tag}, ${f.cause})`);
    lines.push(`   ${f.detail}`);
    const missing = f.evidence?.missing;
    if (missing?.length) {
      lines.push('   Missing:');
      for (const m of missing) {
        const where = m.module
          ? ` — ${m.module} › ${m.permission ?? ''}: ${(m.rights ?? []).join(', ')}`
          : '';
        lines.push(`     - ${m.object} ${m.operation}${where}`);
      }
    }
    const candidates = f.evidence?.candidates;
    if (Array.isArray(candidates) && candidates.length > 1) {
      lines.push(`   Also possible: ${candidates.filter((c) => c !== f.cause).join(', ')}`);
    }
    if (f.fix.length) {
      lines.push('   Fix:');
      f.fix.forEach((step, n) => {
        lines.push(`     ${n + 1}. ${step}`);
      });
    }
    lines.push(paint(style, 'gray', `   More: intacct-connect explain --article ${f.article}`));
  });
  const unknownChecks = report.checks.filter((c) => c.status === 'unknown');
  const unknown = unknownChecks.length;
  if (unknown && !report.ok) {
    lines.push('');
    lines.push(
      `Not decided until the problem above is fixed: ${unknownChecks.map((c) => c.title).join(', ')}.`,
    );
  }
  lines.push('');
  lines.push(
    paint(
      style,
      'gray',
      `${report.roundTrips} round trip${report.roundTrips === 1 ? '' : 's'}${report.ms !== undefined ? `, ${report.ms} ms` : ''}${unknown ? `; ${unknown} check${unknown > 1 ? 's' : ''} could not be decided` : ''}.`,
    ),
  );
  if (report.supportIds?.length) lines.push(`Support IDs: ${report.supportIds.join(', ')}`);
  if (report.requestIds?.length) lines.push(`Request IDs: ${report.requestIds.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Live progress. On a terminal, one line per running check with a spinner, rewritten as each check
 * finishes; otherwise one plain line per finished check.
 */
export class ProgressPrinter {
  private readonly running = new Map<string, string>();
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;
  private drawn = 0;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly tty: boolean,
    private readonly style: Style,
  ) {}

  readonly listener = (event: ProgressEvent): void => {
    if (event.type === 'check.started') {
      this.running.set(event.id, event.title);
      if (this.tty) this.ensureTimer();
    } else if (event.type === 'check.finished') {
      this.running.delete(event.check.id);
      if (this.tty) {
        this.clear();
        this.out.write(`${checkLine(event.check, this.style)}\n`);
        this.draw();
      } else {
        this.out.write(`${checkLine(event.check, this.style)}\n`);
      }
    } else if (event.type === 'request' && !this.tty) {
      this.out.write(
        `  … round trip ${event.roundTrip}: ${event.httpStatus ?? 'no answer'} in ${Math.round(event.ms)} ms\n`,
      );
    }
  };

  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.frame++;
      this.clear();
      this.draw();
    }, 100);
    this.timer.unref?.();
  }

  private clear(): void {
    if (this.drawn > 0) this.out.write(`\u001b[${this.drawn}A\u001b[0J`);
    this.drawn = 0;
  }

  private draw(): void {
    const spin = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏'[this.frame % 10];
    const titles = [...this.running.values()];
    // Many checks run in the same round trip: show them as one line so the screen stays calm.
    if (titles.length === 0) return;
    const label = titles.length <= 2 ? titles.join(', ') : `${titles[0]} and ${titles.length - 1} more`;
    this.out.write(`  ${paint(this.style, 'blue', spin ?? '*')} ${label}\n`);
    this.drawn = 1;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) this.clear();
  }
}

/** The Markdown support bundle: what a Sage support case needs, never a password, session or secret. */
export function renderSupportBundle(
  report: DoctorReport,
  transcript: readonly TranscriptEntry[],
  secrets: readonly string[],
  now = new Date(),
): string {
  const s = report.subject ?? {};
  const root = rootFinding(report);
  const lines: string[] = [];
  lines.push('# Intacct connection support bundle', '');
  lines.push(`Generated ${now.toISOString()} by intacct-connect doctor (${report.mode} mode).`, '');
  lines.push('## Verdict', '');
  lines.push(
    report.ok
      ? 'Healthy: the connection works.'
      : `Not working. Root cause: **${root?.title ?? 'unknown'}** (\`${root?.cause ?? ''}\`).`,
  );
  lines.push('');
  lines.push('## Identifiers', '');
  lines.push('| | |', '|---|---|');
  const row = (k: string, v: string | undefined) => lines.push(`| ${k} | ${v ? `\`${v}\`` : '—'} |`);
  row('Sender ID', s.senderId);
  row('Company ID', s.companyId);
  row('User ID', s.userId);
  row('Entity ID', s.entityId);
  if (s.clientId) row('Client ID', s.clientId);
  row('Endpoint', s.endpointUrl ?? s.apiUrl);
  lines.push('');
  lines.push('## Support IDs and Request IDs', '');
  if (report.supportIds?.length || report.requestIds?.length) {
    for (const id of report.supportIds ?? []) lines.push(`- Support ID: \`${id}\``);
    for (const id of report.requestIds ?? []) lines.push(`- Request ID: \`${id}\``);
  } else {
    lines.push('None were returned.');
  }
  lines.push('');
  lines.push('## Findings', '');
  if (report.findings.length === 0) lines.push('None.');
  report.findings.forEach((f, i) => {
    lines.push(`### ${i + 1}. ${f.title} (${f.severity}, \`${f.cause}\`)`, '');
    lines.push(f.detail, '');
    if (f.evidence?.missing?.length) {
      lines.push('Missing:', '');
      for (const m of f.evidence.missing) {
        lines.push(
          `- ${m.object} ${m.operation}${m.module ? `: ${m.module} › ${m.permission ?? ''} (${(m.rights ?? []).join(', ')})` : ''}`,
        );
      }
      lines.push('');
    }
    if (f.fix.length) {
      lines.push('Fix:', '');
      f.fix.forEach((step, n) => {
        lines.push(`${n + 1}. ${step}`);
      });
      lines.push('');
    }
    const ev = { ...(f.evidence ?? {}) };
    delete ev.missing;
    if (Object.keys(ev).length)
      lines.push('Evidence:', '', '```json', JSON.stringify(ev, null, 2), '```', '');
  });
  lines.push('## Checks and timings', '');
  lines.push('| Check | Status | Cause | ms |', '|---|---|---|---|');
  for (const c of report.checks) lines.push(`| ${c.title} | ${c.status} | ${c.cause ?? ''} | ${c.ms} |`);
  lines.push('');
  lines.push(`Round trips: ${report.roundTrips}. Total time: ${report.ms ?? '?'} ms.`, '');
  lines.push('## Transcript (redacted)', '');
  if (transcript.length === 0) lines.push('No request was sent.');
  transcript.forEach((t, i) => {
    lines.push(`### Exchange ${i + 1}: ${t.method} ${t.url} → ${t.status ?? 'no response'} (${t.ms} ms)`, '');
    if (t.error) lines.push(`Error: ${t.error}`, '');
    lines.push('Request:', '', '```xml', t.requestBody, '```', '');
    lines.push('Response:', '', '```', t.responseBody || '(empty)', '```', '');
  });
  // A last pass by value, in case a secret reached a detail or an evidence field.
  return redactText(`${lines.join('\n')}\n`, secrets);
}
