import { type FormEvent, type RefObject, useEffect, useMemo, useRef, useState } from 'react';
import { type ArticleSummary, api, type ExplainMatch } from '../api.js';
import { m } from '../messages.js';
import { href } from '../router.js';
import { errorText, Notice, useFocusOnChange } from './common.js';

/** Case- and accent-insensitive match of every word of the query against title, summary and id. */
export function filterArticles(articles: ArticleSummary[], query: string): ArticleSummary[] {
  const norm = (s: string) =>
    s
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase();
  const words = norm(query).split(/\s+/).filter(Boolean);
  if (words.length === 0) return articles;
  return articles.filter((a) => {
    const text = norm(`${a.title} ${a.summary} ${a.id.replace(/[._-]/g, ' ')}`);
    return words.every((w) => text.includes(w));
  });
}

/** Local matches first, then server-only matches, each article once. */
export function mergeHits(local: ArticleSummary[], server: ArticleSummary[]): ArticleSummary[] {
  const seen = new Set(local.map((a) => a.id));
  return [...local, ...server.filter((a) => !seen.has(a.id))];
}

export function Help({ article }: { article: string | null }) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  useFocusOnChange(headingRef, article);
  return article ? (
    <ArticleView id={article} headingRef={headingRef} />
  ) : (
    <HelpIndex headingRef={headingRef} />
  );
}

type HeadingRef = RefObject<HTMLHeadingElement | null>;

function HelpIndex({ headingRef }: { headingRef: HeadingRef }) {
  const [articles, setArticles] = useState<ArticleSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  useEffect(() => {
    api.articles().then(
      (a) => setArticles(a.articles),
      (e) => setError(errorText(e)),
    );
  }, []);
  const [serverHits, setServerHits] = useState<ArticleSummary[]>([]);
  // The server's search also looks inside article bodies; its extra hits are merged after the local ones.
  useEffect(() => {
    const q = query.trim();
    if (!q) {
      setServerHits([]);
      return;
    }
    let live = true;
    const timer = window.setTimeout(() => {
      api.articles(q).then(
        (a) => live && setServerHits(a.articles),
        () => live && setServerHits([]),
      );
    }, 250);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [query]);
  const shown = useMemo(
    () => mergeHits(filterArticles(articles ?? [], query), serverHits),
    [articles, query, serverHits],
  );
  const causes = shown.filter((a) => a.kind === 'cause');
  const guides = shown.filter((a) => a.kind !== 'cause');
  return (
    <div className="help">
      <h1 ref={headingRef} tabIndex={-1}>
        {m.help.title}
      </h1>
      <p>{m.help.lead}</p>
      <div className="field search">
        <label htmlFor="help-search">{m.help.searchLabel}</label>
        <input
          id="help-search"
          type="search"
          value={query}
          placeholder={m.help.searchPlaceholder}
          onChange={(e) => setQuery(e.target.value)}
          aria-describedby="help-count"
        />
        <p id="help-count" className="muted" aria-live="polite">
          {articles ? (shown.length ? m.help.results(shown.length) : m.help.noResults) : ''}
        </p>
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      {!articles && !error && <p>{m.common.loading}</p>}
      <div className="help-columns">
        {guides.length > 0 && <ArticleList heading={m.help.guides} items={guides} />}
        {causes.length > 0 && <ArticleList heading={m.help.causes} items={causes} />}
      </div>
      <Explain />
    </div>
  );
}

function ArticleList({ heading, items }: { heading: string; items: ArticleSummary[] }) {
  return (
    <section aria-label={heading}>
      <h2>{heading}</h2>
      <ul className="article-list">
        {items.map((a) => (
          <li key={a.id}>
            <a href={href({ name: 'help', article: a.id })}>{a.title}</a>
            <p className="muted">{a.summary}</p>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Explain() {
  const [text, setText] = useState('');
  const [state, setState] = useState<{ busy: boolean; matches?: ExplainMatch[]; error?: string }>({
    busy: false,
  });
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!text.trim()) return;
    setState({ busy: true });
    try {
      const { matches } = await api.explain(text);
      setState({ busy: false, matches });
    } catch (error) {
      setState({ busy: false, error: errorText(error) });
    }
  };
  return (
    <section className="card explain" aria-labelledby="explain-heading">
      <h2 id="explain-heading">{m.help.explainHeading}</h2>
      <form onSubmit={submit}>
        <div className="field">
          <label htmlFor="explain-text">{m.help.explainLabel}</label>
          <p className="hint" id="explain-hint">
            {m.help.explainHint}
          </p>
          <textarea
            id="explain-text"
            rows={6}
            value={text}
            spellCheck={false}
            aria-describedby="explain-hint"
            onChange={(e) => setText(e.target.value)}
          />
        </div>
        <button type="submit" disabled={state.busy}>
          {m.help.explainButton}
        </button>
      </form>
      <div aria-live="polite" className="explain-results">
        {state.busy && <p>{m.help.explaining}</p>}
        {state.error && <Notice kind="error">{state.error}</Notice>}
        {state.matches && state.matches.length === 0 && <p>{m.help.explainNone}</p>}
        {state.matches?.map((match) => (
          <article key={match.cause} className="finding" aria-label={match.title}>
            <h3 className="finding-title">{match.title}</h3>
            <p className="muted">{m.help.confidence(match.confidence)}</p>
            {match.fix.length > 0 && (
              <ol className="steps">
                {match.fix.map((step) => (
                  <li key={step}>{step}</li>
                ))}
              </ol>
            )}
            <p>
              <a href={href({ name: 'help', article: match.article })}>
                {m.common.learnMore}: {match.title}
              </a>
            </p>
          </article>
        ))}
      </div>
    </section>
  );
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

function ArticleView({ id, headingRef }: { id: string; headingRef: HeadingRef }) {
  const [data, setData] = useState<Record<string, unknown> | null>(null);
  const [titles, setTitles] = useState<Record<string, string>>({});
  useEffect(() => {
    api.articles().then(
      (a) => setTitles(Object.fromEntries(a.articles.map((x) => [x.id, x.title]))),
      () => undefined,
    );
  }, []);
  const [error, setError] = useState<{ text: string; notFound: boolean } | null>(null);
  useEffect(() => {
    setData(null);
    setError(null);
    api.article(id).then(
      (a) => {
        setData((a.article as Record<string, unknown> | undefined) ?? a);
        // Scrolled help pages should open at their top, like a new page would.
        window.scrollTo(0, 0);
      },
      (e) => setError({ text: errorText(e), notFound: (e as { status?: number }).status === 404 }),
    );
  }, [id]);
  const title = typeof data?.title === 'string' ? data.title : error?.notFound ? m.help.notFound : id;
  return (
    <article className="help-article">
      <p>
        <a href={href({ name: 'help', article: null })}>← {m.help.back}</a>
      </p>
      <h1 ref={headingRef} tabIndex={-1}>
        {title}
      </h1>
      {error && !error.notFound && <Notice kind="error">{error.text}</Notice>}
      {!data && !error && <p>{m.common.loading}</p>}
      {data && <ArticleBody data={data} titles={titles} />}
    </article>
  );
}

function List({ heading, items, ordered }: { heading: string; items: string[]; ordered?: boolean }) {
  if (items.length === 0) return null;
  const Tag = ordered ? 'ol' : 'ul';
  return (
    <section>
      <h2>{heading}</h2>
      <Tag className={ordered ? 'steps' : 'bullets'}>
        {items.map((item) => (
          <li key={item}>{item}</li>
        ))}
      </Tag>
    </section>
  );
}

/** Renders a cause article or a setup guide (catalog data) with whatever sections it has. */
function ArticleBody({ data, titles }: { data: Record<string, unknown>; titles: Record<string, string> }) {
  const why = Array.isArray(data.why)
    ? data.why.map((w) =>
        typeof w === 'string'
          ? { text: w }
          : {
              text: String((w as { text?: unknown }).text ?? ''),
              confidence: (w as { confidence?: string }).confidence,
            },
      )
    : [];
  const faq = Array.isArray(data.faq) ? (data.faq as { q?: string; a?: string }[]) : [];
  const sections = Array.isArray(data.sections)
    ? (data.sections as { title?: string; body?: string; steps?: unknown; tips?: unknown }[])
    : [];
  const related = strings(data.related);
  return (
    <>
      {typeof data.summary === 'string' && <p className="lead">{data.summary}</p>}
      {data.inferred === true && <Notice kind="info">{m.help.inferred}</Notice>}
      <List heading={m.help.symptoms} items={strings(data.symptoms)} />
      {why.length > 0 && (
        <section>
          <h2>{m.help.why}</h2>
          <ul className="bullets">
            {why.map((w) => (
              <li key={w.text}>
                {w.text}
                {w.confidence && <span className="muted"> ({m.help.confidenceTag(w.confidence)})</span>}
              </li>
            ))}
          </ul>
        </section>
      )}
      {sections.map((section) => (
        <section key={section.title}>
          <h2>{section.title}</h2>
          {section.body && <p>{section.body}</p>}
          {strings(section.steps).length > 0 && (
            <ol className="steps">
              {strings(section.steps).map((s) => (
                <li key={s}>{s}</li>
              ))}
            </ol>
          )}
          {strings(section.tips).length > 0 && (
            <ul className="bullets">
              {strings(section.tips).map((s) => (
                <li key={s}>{s}</li>
              ))}
            </ul>
          )}
        </section>
      ))}
      <List heading={m.help.fix} items={strings(data.fix)} ordered />
      <List heading={m.help.roleBased} items={strings(data.fixRoleBased)} ordered />
      <List heading={m.help.userBased} items={strings(data.fixUserBased)} ordered />
      <List heading={m.help.fixTopLevel} items={strings(data.fixTopLevel)} ordered />
      <List heading={m.help.fixEntity} items={strings(data.fixEntity)} ordered />
      <List heading={m.help.verify} items={strings(data.verify)} ordered />
      <List heading={m.help.tips} items={strings(data.tips)} />
      {faq.length > 0 && (
        <section>
          <h2>{m.help.faq}</h2>
          <dl className="faq">
            {faq.map((item) => (
              <div key={item.q}>
                <dt>{item.q}</dt>
                <dd>{item.a}</dd>
              </div>
            ))}
          </dl>
        </section>
      )}
      {strings(data.examples).length > 0 && (
        <section>
          <h2>{m.help.examples}</h2>
          {strings(data.examples).map((e) => (
            <pre key={e}>
              <code>{e}</code>
            </pre>
          ))}
        </section>
      )}
      {related.length > 0 && (
        <section>
          <h2>{m.help.related}</h2>
          <ul className="bullets">
            {related.map((r) => (
              <li key={r}>
                <a href={href({ name: 'help', article: r })}>{titles[r] ?? r}</a>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
