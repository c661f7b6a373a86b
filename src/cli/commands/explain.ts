import type { Command } from 'commander';
import { type Article, getArticle, listArticles } from '../../doctor/catalog.js';
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

const WHO_ACTS: Record<string, string> = {
  customer_admin: "the customer's Intacct administrator",
  developer: "the application's developer (the Web Services licence holder)",
  sage: 'Sage (nothing to change on your side)',
  person_connecting: 'the person connecting',
  customer_admin_or_developer: "the customer's Intacct administrator or the application's developer",
};

/** An article as plain text for a terminal: every section the catalog has, in reading order. */
export function formatArticle(article: Article): string {
  const lines = [article.title, '', article.summary];
  const list = (heading: string, items: string[] | undefined, ordered = false) => {
    if (!items?.length) return;
    lines.push('', `${heading}:`);
    items.forEach((item, i) => {
      lines.push(`  ${ordered ? `${i + 1}.` : '-'} ${item}`);
    });
  };
  if (article.kind === 'cause') {
    lines.push('', `Cause: ${article.id} (${article.severity}); who acts: ${WHO_ACTS[article.whoActs]}`);
    if (article.inferred) lines.push('Sage does not document this cause; the explanation is inferred.');
    list('What you see', article.symptoms);
    list(
      'Why it happens',
      article.why.map((w) => (w.confidence ? `${w.text} [${w.confidence}]` : w.text)),
    );
    list('How to fix it', article.fix, true);
    list('Role-based permission companies', article.fixRoleBased, true);
    list('User-based permission companies', article.fixUserBased, true);
    list('Working at the top level', article.fixTopLevel, true);
    list('Working in an entity', article.fixEntity, true);
    list('Check that it is fixed', article.verify, true);
  } else {
    for (const section of article.sections) {
      lines.push('', section.title);
      if (section.body) lines.push(`  ${section.body}`);
      section.steps?.forEach((step, i) => {
        lines.push(`  ${i + 1}. ${step}`);
      });
      for (const tip of section.tips ?? []) lines.push(`  Tip: ${tip}`);
    }
    list('Tips', article.tips);
  }
  if (article.faq.length) {
    lines.push('', 'Questions:');
    for (const item of article.faq) lines.push(`  Q: ${item.q}`, `  A: ${item.a}`);
  }
  if (article.related.length) lines.push('', `Related: ${article.related.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

export function registerExplain(program: Command, io: CliIO, setExit: SetExit): void {
  program
    .command('explain')
    .description(
      'Explain a raw Intacct error: an XML response, a REST/OAuth JSON body, an SDK message, a log line or a sentence.',
    )
    .argument('[text...]', 'the error text; without it, read from standard input')
    .option('--json', 'print {"matches": [...]} only (with --article: the article as JSON)')
    .option('--article <id>', 'print a help article (a cause id or a guide id) instead of explaining text')
    .addHelpText(
      'after',
      '\nExit status: 0 a cause was found, 1 no Intacct connection error recognised, 2 no text given.\n',
    )
    .action(async (words: string[], options: { json?: boolean; article?: string }) => {
      if (options.article !== undefined) {
        const article = getArticle(options.article);
        if (!article) {
          const ids = listArticles().map((a) => a.id);
          throw new UsageError(`--article: no article "${options.article}" (one of: ${ids.join(', ')})`);
        }
        io.stdout.write(options.json ? `${JSON.stringify(article)}\n` : formatArticle(article));
        setExit(EXIT.ok);
        return;
      }
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
