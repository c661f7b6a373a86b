import { type FormEvent, Fragment, useCallback, useEffect, useRef, useState } from 'react';
import type { DoctorReport } from '../../shared/report.js';
import { api, type CheckHistoryEntry, type ConnectionView } from '../api.js';
import { m } from '../messages.js';
import { href } from '../router.js';
import { managementKey } from '../session.js';
import { type Credentials, CredentialsForm, EMPTY_CREDENTIALS } from './CredentialsForm.js';
import { errorText, Notice, useFocusOnChange } from './common.js';
import { FindingCard } from './Finding.js';

const d = m.dashboard;
const statusLabel = (status: string) => d.statusLabels[status] ?? status;

export function Dashboard() {
  const [key, setKey] = useState<string | null>(() => managementKey.get());
  const [refused, setRefused] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useFocusOnChange(headingRef, key === null);
  const forget = useCallback(() => {
    managementKey.set(null);
    setKey(null);
    setRefused(false);
  }, []);
  const refuse = useCallback(() => {
    managementKey.set(null);
    setKey(null);
    setRefused(true);
  }, []);
  return (
    <div className="dashboard">
      <h1 ref={headingRef} tabIndex={-1}>
        {d.title}
      </h1>
      {key ? (
        <Connections apiKey={key} onRefused={refuse} onForget={forget} />
      ) : (
        <KeyForm
          refused={refused}
          onKey={(k) => {
            managementKey.set(k);
            setRefused(false);
            setKey(k);
          }}
        />
      )}
    </div>
  );
}

function KeyForm({ onKey, refused }: { onKey: (key: string) => void; refused?: boolean }) {
  const [value, setValue] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (value.trim()) onKey(value.trim());
  };
  return (
    <form onSubmit={submit} className="form card">
      {refused && <Notice kind="error">{d.keyWrong}</Notice>}
      <div className="field">
        <label htmlFor="mgmt-key">{d.keyLabel}</label>
        <p className="hint" id="mgmt-key-hint">
          {d.keyHint}
        </p>
        <input
          id="mgmt-key"
          type="password"
          autoComplete="off"
          aria-describedby="mgmt-key-hint"
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
      </div>
      <button type="submit">{d.keySubmit}</button>
    </form>
  );
}

type Panel = { id: string; kind: 'details' | 'update' | 'delete' } | null;

function Connections({
  apiKey,
  onRefused,
  onForget,
}: {
  apiKey: string;
  onRefused: () => void;
  onForget: () => void;
}) {
  const [list, setList] = useState<ConnectionView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [panel, setPanel] = useState<Panel>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState('');
  const [reports, setReports] = useState<Record<string, DoctorReport>>({});

  const load = useCallback(async () => {
    try {
      const { connections } = await api.connections(apiKey);
      setList(connections);
      setError(null);
    } catch (e) {
      if ((e as { status?: number }).status === 401 || (e as { status?: number }).status === 403) onRefused();
      else setError(errorText(e));
    }
  }, [apiKey, onRefused]);
  useEffect(() => {
    void load();
  }, [load]);

  const recheck = async (c: ConnectionView) => {
    setBusy(c.id);
    try {
      const { status, report } = await api.recheck(apiKey, c.id);
      setReports((r) => ({ ...r, [c.id]: report }));
      setMessage(d.rechecked(c.companyId, statusLabel(status)));
      setPanel({ id: c.id, kind: 'details' });
      await load();
    } catch (e) {
      setMessage(errorText(e));
    } finally {
      setBusy(null);
    }
  };
  const remove = async (c: ConnectionView) => {
    setBusy(c.id);
    try {
      await api.deleteConnection(apiKey, c.id);
      setMessage(d.deleted(c.companyId));
      setPanel(null);
      await load();
    } catch (e) {
      setMessage(errorText(e));
    } finally {
      setBusy(null);
    }
  };
  const toggle = (id: string, kind: NonNullable<Panel>['kind']) =>
    setPanel((p) => (p && p.id === id && p.kind === kind ? null : { id, kind }));

  return (
    <>
      <div className="toolbar">
        <button type="button" className="secondary" onClick={() => void load()}>
          {d.refresh}
        </button>
        <button type="button" className="secondary" onClick={onForget}>
          {d.forget}
        </button>
      </div>
      <p className="status-line" role="status">
        {message}
      </p>
      {error && <Notice kind="error">{error}</Notice>}
      {!list && !error && <p>{m.common.loading}</p>}
      {list && list.length === 0 && <p>{d.empty}</p>}
      {list && list.length > 0 && (
        <div className="table-wrap">
          <table className="data connections">
            <caption className="visually-hidden">{d.tableCaption}</caption>
            <thead>
              <tr>
                <th scope="col">{d.company}</th>
                <th scope="col">{d.user}</th>
                <th scope="col">{d.entity}</th>
                <th scope="col">{d.status}</th>
                <th scope="col">{d.lastChecked}</th>
                <th scope="col">{d.actions}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((c) => (
                <Fragment key={c.id}>
                  <tr data-connection={c.id}>
                    <th scope="row">{c.companyId}</th>
                    <td>{c.userId ?? '—'}</td>
                    <td>{c.entityId || d.topLevel}</td>
                    <td>
                      <span className={`pill pill-${c.status}`}>{statusLabel(c.status)}</span>
                    </td>
                    <td>{c.lastCheckedAt ? new Date(c.lastCheckedAt).toLocaleString() : d.never}</td>
                    <td className="row-actions">
                      <button
                        type="button"
                        className="secondary small"
                        aria-expanded={panel?.id === c.id && panel.kind === 'details'}
                        aria-label={`${d.details}: ${c.companyId}`}
                        onClick={() => toggle(c.id, 'details')}
                      >
                        {d.details}
                      </button>
                      <button
                        type="button"
                        className="secondary small"
                        disabled={busy === c.id}
                        aria-label={`${d.recheck}: ${c.companyId}`}
                        onClick={() => void recheck(c)}
                      >
                        {busy === c.id ? d.rechecking : d.recheck}
                      </button>
                      <button
                        type="button"
                        className="secondary small"
                        aria-expanded={panel?.id === c.id && panel.kind === 'update'}
                        aria-label={`${d.update}: ${c.companyId}`}
                        onClick={() => toggle(c.id, 'update')}
                      >
                        {d.update}
                      </button>
                      <button
                        type="button"
                        className="danger small"
                        aria-label={`${d.delete}: ${c.companyId}`}
                        onClick={() => toggle(c.id, 'delete')}
                      >
                        {d.delete}
                      </button>
                    </td>
                  </tr>
                  {panel?.id === c.id && (
                    <tr className="panel-row">
                      <td colSpan={6}>
                        {panel.kind === 'details' && (
                          <Details apiKey={apiKey} connection={c} report={reports[c.id]} />
                        )}
                        {panel.kind === 'update' && (
                          <UpdateCredentials
                            apiKey={apiKey}
                            connection={c}
                            onDone={async (status, report) => {
                              setReports((r) => ({ ...r, [c.id]: report }));
                              setMessage(d.updated(c.companyId, statusLabel(status)));
                              setPanel({ id: c.id, kind: 'details' });
                              await load();
                            }}
                          />
                        )}
                        {panel.kind === 'delete' && (
                          <ConfirmDelete
                            company={c.companyId}
                            busy={busy === c.id}
                            onConfirm={() => void remove(c)}
                            onCancel={() => setPanel(null)}
                          />
                        )}
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function ConfirmDelete({
  company,
  busy,
  onConfirm,
  onCancel,
}: {
  company: string;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLParagraphElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div className="confirm">
      <p id="confirm-text" ref={ref} tabIndex={-1}>
        {d.confirmDelete(company)}
      </p>
      <button type="button" className="danger" disabled={busy} onClick={onConfirm}>
        {d.confirmYes}
      </button>{' '}
      <button type="button" className="secondary" onClick={onCancel}>
        {m.common.cancel}
      </button>
    </div>
  );
}

function Details({
  apiKey,
  connection,
  report,
}: {
  apiKey: string;
  connection: ConnectionView;
  report: DoctorReport | undefined;
}) {
  const [detail, setDetail] = useState<ConnectionView | null>(null);
  const [history, setHistory] = useState<CheckHistoryEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: reload when the list row changes (after a re-check)
  useEffect(() => {
    Promise.all([api.connectionDetail(apiKey, connection.id), api.checks(apiKey, connection.id)]).then(
      ([c, h]) => {
        setDetail(c);
        setHistory(h.checks);
      },
      (e) => setError(errorText(e)),
    );
  }, [apiKey, connection.id, connection.lastCheckedAt, connection.status]);
  const issues = detail?.issues ?? [];
  const root = report?.findings.find((f) => f.severity === 'error');
  return (
    <div className="details">
      {error && <Notice kind="error">{error}</Notice>}
      {root && <FindingCard finding={root} rootCause headingLevel={3} />}
      <h3>{d.issues}</h3>
      {!detail && !error && <p>{m.common.loading}</p>}
      {detail && issues.length === 0 && <p>{d.noIssues}</p>}
      {issues.length > 0 && (
        <ul className="bullets">
          {issues.map((issue, i) => (
            <li key={String(issue.id ?? i)}>
              {issue.title ?? issue.cause}
              {typeof issue.cause === 'string' && (
                <>
                  {' '}
                  (<a href={href({ name: 'help', article: issue.cause })}>{m.common.learnMore}</a>)
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      <h3>{d.history}</h3>
      {history && history.length === 0 && <p>{d.noHistory}</p>}
      {history && history.length > 0 && (
        <table className="data">
          <caption className="visually-hidden">{d.history}</caption>
          <thead>
            <tr>
              <th scope="col">{d.at}</th>
              <th scope="col">{d.result}</th>
              <th scope="col">{d.rootCause}</th>
              <th scope="col">{d.requests}</th>
            </tr>
          </thead>
          <tbody>
            {history.map((h) => (
              <tr key={`${h.at}:${h.status}`}>
                <td>{new Date(h.at).toLocaleString()}</td>
                <td>{statusLabel(h.status)}</td>
                <td>
                  {h.rootCause ? (
                    <a href={href({ name: 'help', article: h.rootCause })}>{h.rootCause}</a>
                  ) : (
                    '—'
                  )}
                </td>
                <td>{h.roundTrips}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function UpdateCredentials({
  apiKey,
  connection,
  onDone,
}: {
  apiKey: string;
  connection: ConnectionView;
  onDone: (status: string, report: DoctorReport) => void | Promise<void>;
}) {
  const [values, setValues] = useState<Credentials>({
    ...EMPTY_CREDENTIALS,
    companyId: connection.companyId,
    userId: connection.userId ?? '',
    entityId: connection.entityId ?? '',
  });
  const [state, setState] = useState<{ busy: boolean; error?: string }>({ busy: false });
  const headingRef = useRef<HTMLHeadingElement>(null);
  useFocusOnChange(headingRef, connection.id);
  useEffect(() => headingRef.current?.focus(), []);
  const submit = async () => {
    setState({ busy: true });
    try {
      const body = {
        userId: values.userId,
        userPassword: values.userPassword,
        ...(values.entityId ? { entityId: values.entityId } : {}),
      };
      const { status, report } = await api.updateCredentials(apiKey, connection.id, body);
      setState({ busy: false });
      await onDone(status, report);
    } catch (e) {
      setState({ busy: false, error: errorText(e) });
    }
  };
  return (
    <div className="update">
      <h3 ref={headingRef} tabIndex={-1}>
        {d.updateHeading(connection.companyId)}
      </h3>
      {state.error && <Notice kind="error">{state.error}</Notice>}
      <CredentialsForm
        values={values}
        onChange={setValues}
        onSubmit={() => void submit()}
        fields={['userId', 'userPassword', 'entityId']}
        submitLabel={m.form.updateSubmit}
        idPrefix={`update-${connection.id}`}
        busy={state.busy}
      />
    </div>
  );
}
