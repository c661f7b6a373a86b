import { type FormEvent, useRef, useState } from 'react';
import type { CheckResult, Finding } from '../../shared/report.js';
import { api, type ConnectConfig, type RequirementView } from '../api.js';
import { m } from '../messages.js';
import {
  detectPermissionModel,
  precheckRelevant,
  type StepVerdict,
  settle,
  stepVerdicts,
} from '../progress.js';
import { href } from '../router.js';
import { type Credentials, CredentialsForm } from './CredentialsForm.js';
import { CopyField, errorText, Notice, Steps, useFocusOnChange } from './common.js';
import { FindingCard } from './Finding.js';
import { CheckList, LiveChecks, type RunState } from './LiveChecks.js';

export const STEPS = [
  'prerequisites',
  'subscription',
  'authorization',
  'user',
  'permissions',
  'entity',
  'credentials',
] as const;
export type StepId = (typeof STEPS)[number];

const VERDICT_ICONS: Record<StepVerdict, string> = { pass: '✓', fail: '✕', warn: '!' };

export function stepFrom(value: string | null): StepId {
  return (STEPS as readonly string[]).includes(value ?? '') ? (value as StepId) : 'prerequisites';
}

export interface PrecheckState {
  phase: 'idle' | 'running' | 'done' | 'error';
  companyId?: string;
  checks?: CheckResult[];
  findings?: Finding[];
  error?: string;
}

export function Setup({
  config,
  token,
  step,
  values,
  onValues,
  run,
  onConnect,
  onTryAgain,
  onDone,
  precheck,
  onPrecheck,
}: {
  config: ConnectConfig;
  token: string;
  step: StepId;
  values: Credentials;
  onValues: (v: Credentials) => void;
  run: RunState | null;
  onConnect: () => void;
  onTryAgain: () => void;
  onDone?: (() => void) | undefined;
  precheck: PrecheckState;
  onPrecheck: (companyId: string) => void;
}) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  useFocusOnChange(headingRef, step);
  const index = STEPS.indexOf(step);
  const prev = STEPS[index - 1];
  const next = STEPS[index + 1];
  const verdicts = stepVerdicts(
    precheck.phase === 'done' ? (precheck.checks ?? []) : [],
    run?.phase === 'done' ? run.checks : [],
  );
  return (
    <div className="setup">
      <h1>{m.setup.title(config.appName)}</h1>
      <p>
        {m.setup.intro} <a href={href({ name: 'setup', step: 'credentials' })}>{m.setup.jumpToForm}</a>
      </p>
      <div className="setup-grid">
        <nav aria-label={m.setup.progressLabel} className="stepper">
          <ol>
            {STEPS.map((id, i) => (
              <li key={id} className={i < index ? 'done' : i === index ? 'current' : ''}>
                <a href={href({ name: 'setup', step: id })} aria-current={id === step ? 'step' : undefined}>
                  <span className={`step-number verdict-${verdicts[id] ?? 'none'}`} aria-hidden="true">
                    {verdicts[id] ? VERDICT_ICONS[verdicts[id]] : i + 1}
                  </span>
                  {m.setup.stepNames[id]}
                  {verdicts[id] && (
                    <span className="visually-hidden"> ({m.setup.verdict[verdicts[id]]})</span>
                  )}
                </a>
              </li>
            ))}
          </ol>
        </nav>
        <section className="step card" aria-labelledby="step-heading">
          <p className="step-count">{m.setup.stepOf(index + 1, STEPS.length)}</p>
          <h2 id="step-heading" ref={headingRef} tabIndex={-1}>
            {m.setup.stepNames[step]}
          </h2>
          <StepBody
            step={step}
            config={config}
            token={token}
            values={values}
            onValues={onValues}
            run={run}
            onConnect={onConnect}
            onTryAgain={onTryAgain}
            onDone={onDone}
            precheck={precheck}
            onPrecheck={onPrecheck}
          />
          <div className="step-nav">
            {prev && (
              <a className="button secondary" href={href({ name: 'setup', step: prev })}>
                {m.common.back}
              </a>
            )}
            {next && (
              <a className="button" href={href({ name: 'setup', step: next })}>
                {m.common.next}: {m.setup.stepNames[next]}
              </a>
            )}
          </div>
        </section>
      </div>
    </div>
  );
}

function StepBody(props: {
  step: StepId;
  config: ConnectConfig;
  token: string;
  values: Credentials;
  onValues: (v: Credentials) => void;
  run: RunState | null;
  onConnect: () => void;
  onTryAgain: () => void;
  onDone?: (() => void) | undefined;
  precheck: PrecheckState;
  onPrecheck: (companyId: string) => void;
}) {
  const { config } = props;
  const s = m.setup;
  switch (props.step) {
    case 'prerequisites':
      return (
        <>
          <p>{s.prerequisites.lead}</p>
          <ul className="bullets">
            {s.prerequisites.items.map((item) => (
              <li key={item}>{item}</li>
            ))}
          </ul>
          <p className="muted">{s.prerequisites.noAdmin}</p>
        </>
      );
    case 'subscription':
      return (
        <>
          <p>{s.subscription.lead}</p>
          <Steps items={s.subscription.steps} />
          <Precheck {...props} />
        </>
      );
    case 'authorization':
      return (
        <>
          <p>{s.authorization.lead(config.appName)}</p>
          <CopyField label={s.authorization.senderLabel} value={config.senderId} id="sender-id" />
          <Steps items={s.authorization.steps} />
          <Precheck {...props} />
        </>
      );
    case 'user':
      return (
        <>
          <p>{s.user.lead}</p>
          <CopyField label={s.user.suggestedLabel} value={config.suggestedUserId} id="suggested-user" />
          <Steps items={s.user.steps} />
          <h3>{s.user.emailHeading}</h3>
          <ul className="bullets">
            {s.user.email.map((item) => (
              <li key={item}>{item}</li>
            ))}
          </ul>
        </>
      );
    case 'permissions':
      return (
        <Permissions
          config={config}
          detected={props.run?.phase === 'done' ? detectPermissionModel(props.run.report?.findings) : null}
        />
      );
    case 'entity':
      return (
        <>
          <p>{s.entity.lead}</p>
          <Steps items={s.entity.steps} />
        </>
      );
    case 'credentials':
      return <CredentialsStep {...props} />;
  }
}

function Precheck({
  values,
  onValues,
  precheck,
  onPrecheck,
}: {
  values: Credentials;
  onValues: (v: Credentials) => void;
  precheck: PrecheckState;
  onPrecheck: (companyId: string) => void;
}) {
  const p = m.setup.precheck;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const companyId = values.companyId.trim();
    if (companyId) onPrecheck(companyId);
  };
  const root = precheck.findings?.find((f) => f.severity === 'error');
  return (
    <section className="precheck" aria-labelledby="precheck-heading">
      <h3 id="precheck-heading">{p.heading}</h3>
      <p>{p.lead}</p>
      <form onSubmit={submit} className="inline-form">
        <div className="field">
          <label htmlFor="precheck-company">{m.form.companyId}</label>
          <p className="hint" id="precheck-company-hint">
            {p.companyHint}
          </p>
          <input
            id="precheck-company"
            name="companyId"
            autoComplete="organization"
            spellCheck={false}
            autoCapitalize="off"
            aria-describedby="precheck-company-hint"
            value={values.companyId}
            onChange={(e) => onValues({ ...values, companyId: e.target.value })}
          />
        </div>
        <button type="submit" disabled={precheck.phase === 'running'}>
          {p.button}
        </button>
      </form>
      <div aria-live="polite">
        {precheck.phase === 'running' && <p>{p.running}</p>}
        {precheck.phase === 'error' && <Notice kind="error">{precheck.error}</Notice>}
        {precheck.phase === 'done' && (
          <>
            {precheck.checks && precheck.checks.length > 0 && (
              <CheckList checks={settle([], precheckRelevant(precheck.checks))} label={p.heading} />
            )}
            {root ? (
              <>
                <p>{p.problems}</p>
                <FindingCard finding={root} rootCause headingLevel={4} />
              </>
            ) : (
              <Notice kind="success">{p.allPassed}</Notice>
            )}
          </>
        )}
      </div>
    </section>
  );
}

interface PermissionRow {
  module: string;
  permission: string;
  rights: string[];
  objects: string[];
}

/** Groups the application's requirements by module and permission, merging the rights each needs. */
export function groupRequirements(requirements: RequirementView[]): PermissionRow[] {
  const rows = new Map<string, PermissionRow>();
  for (const r of requirements) {
    const module = r.module ?? '—';
    const permission = r.permission ?? r.object;
    const key = `${module}\u0000${permission}`;
    const row = rows.get(key) ?? { module, permission, rights: [], objects: [] };
    for (const right of r.rights ?? []) if (!row.rights.includes(right)) row.rights.push(right);
    const label = `${r.object} (${r.operation})`;
    if (!row.objects.includes(label)) row.objects.push(label);
    rows.set(key, row);
  }
  // Objects the server could not place in a module go last: they are the odd ones out.
  const rank = (row: PermissionRow) => (row.module === '—' ? 1 : 0);
  return [...rows.values()].sort(
    (a, b) =>
      rank(a) - rank(b) || a.module.localeCompare(b.module) || a.permission.localeCompare(b.permission),
  );
}

function Permissions({ config, detected }: { config: ConnectConfig; detected: 'role' | 'user' | null }) {
  const p = m.setup.permissions;
  const [model, setModel] = useState<'role' | 'user'>(detected ?? 'role');
  const rows = groupRequirements(config.requirements);
  return (
    <>
      <p>{p.lead(config.appName)}</p>
      {detected ? (
        <Notice kind="info">{p.detected(detected)}</Notice>
      ) : (
        <p className="muted">{p.detectHint}</p>
      )}
      <fieldset className="radio-group">
        <legend>{p.typeLegend}</legend>
        <label>
          <input type="radio" name="model" checked={model === 'role'} onChange={() => setModel('role')} />{' '}
          {p.roleBased}
        </label>
        <label>
          <input type="radio" name="model" checked={model === 'user'} onChange={() => setModel('user')} />{' '}
          {p.userBased}
        </label>
      </fieldset>
      <Steps items={model === 'role' ? p.roleSteps : p.userSteps} />
      {rows.length === 0 ? (
        <p>{p.noneListed}</p>
      ) : (
        <div className="table-wrap">
          <table className="data">
            <caption>{p.tableCaption}</caption>
            <thead>
              <tr>
                <th scope="col">{p.module}</th>
                <th scope="col">{p.permission}</th>
                <th scope="col">{p.rights}</th>
                <th scope="col">{p.objects}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={`${row.module}:${row.permission}`}>
                  <td>{row.module}</td>
                  <td>{row.permission}</td>
                  <td>{row.rights.join(', ')}</td>
                  <td>{row.objects.join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function CredentialsStep({
  config,
  token,
  values,
  onValues,
  run,
  onConnect,
  onTryAgain,
  onDone,
}: {
  config: ConnectConfig;
  token: string;
  values: Credentials;
  onValues: (v: Credentials) => void;
  run: RunState | null;
  onConnect: () => void;
  onTryAgain: () => void;
  onDone?: (() => void) | undefined;
}) {
  const s = m.setup.credentials;
  const [oauth, setOauth] = useState<{ busy: boolean; error?: string }>({ busy: false });
  if (run) return <LiveChecks run={run} onTryAgain={onTryAgain} onDone={onDone} />;
  const signIn = async () => {
    setOauth({ busy: true });
    try {
      const { authorizeUrl } = await api.oauthStart(token);
      window.location.assign(authorizeUrl);
    } catch (error) {
      setOauth({ busy: false, error: errorText(error) });
    }
  };
  return (
    <>
      <p>{s.lead}</p>
      <CredentialsForm values={values} onChange={onValues} onSubmit={onConnect} />
      {config.oauth.enabled && (
        <div className="oauth">
          <p className="divider">
            <span>{s.or}</span>
          </p>
          <p>{s.oauthLead}</p>
          <button type="button" className="secondary" onClick={signIn} disabled={oauth.busy}>
            {oauth.busy ? s.oauthStarting : s.oauthButton}
          </button>
          {oauth.error && <Notice kind="error">{oauth.error}</Notice>}
        </div>
      )}
    </>
  );
}
