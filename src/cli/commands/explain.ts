import type { Command } from 'commander';
import { type ExplainMatch, explain } from '../../doctor/explain/index.js';
import { type CliIO, EXIT, UsageError } from '../context.js';
import type { SetExit } from '../index.js';

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function percent(confidence: number): string {
  return `${Math.round(confidence * 100)}%`;
}

export function formatMatches(matches: ExplainMatch[]): string {
  if (matches.length === 0) {
    return 'No Intacct connection error recognised in this text.\n';
  }
  const [best, ...others] = matches as [ExplainMatch, ...ExplainMatch[]];
  const lines = [`${best.title}`, `  cause: ${best.cause}   confidence: ${percent(best.confidence)}`];
  const facts = [best.layer ? `layer ${best.layer}` : '', best.code ? `code ${best.code}` : ''].filter(
    Boolean,
  );
  if (facts.length) lines.push(`  evidence: ${facts.join(', ')}`);
  if (best.evidence?.supportIds?.length) lines.push(`  Support ID: ${best.evidence.supportIds.join(', ')}`);
  if (best.evidence?.requestIds?.length) lines.push(`  Request ID: ${best.evidence.requestIds.join(', ')}`);
  if (best.evidence?.missing?.length) {
    lines.push(`  denied: ${best.evidence.missing.map((m) => `${m.object} ${m.operation}`).join(', ')}`);
  }
  lines.push('', 'How to fix it:');
  best.fix.forEach((step, i) => {
    lines.push(`  ${i + 1}. ${step}`);
  });
  lines.push('', `Article: ${best.article}   (intacct-connect explain --json for machine-readable output)`);
  if (others.length) {
    lines.push('', 'Other possible causes:');
    for (const m of others) lines.push(`  - ${m.title} (${m.cause}, ${percent(m.confidence)})`);
  }
  return `${lines.join('\n')}\n`;
}

export function registerExplain(program: Command, io: CliIO, setExit: SetExit): void {
  program
    .command('explain')
    .description(
      'Explain a raw Intacct error: an XML response, a REST/OAuth JSON body, an SDK message, a log line or a sentence.',
    )
    .argument('[text...]', 'the error text; without it, read from standard input')
    .option('--json', 'print {"matches": [...]} only')
    .addHelpText(
      'after',
      '\nExit status: 0 a cause was found, 1 no Intacct connection error recognised, 2 no text given.\n',
    )
    .action(async (words: string[], options: { json?: boolean }) => {
      let text = words.join(' ');
      if (text.trim() === '') {
        if (io.stdin.isTTY)
          throw new UsageError('no text to explain (pass TEXT or pipe it on standard input)');
        text = await readAll(io.stdin);
      }
      if (text.trim() === '')
        throw new UsageError('no text to explain (pass TEXT or pipe it on standard input)');
      const result = explain(text);
      io.stdout.write(
        options.json ? `${JSON.stringify({ matches: result.matches })}\n` : formatMatches(result.matches),
      );
      setExit(result.matches.length > 0 ? EXIT.ok : EXIT.problems);
    });
}
