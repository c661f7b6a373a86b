import { type FormEvent, useRef, useState } from 'react';
import { m } from '../messages.js';

export interface Credentials {
  companyId: string;
  userId: string;
  userPassword: string;
  entityId: string;
}

export const EMPTY_CREDENTIALS: Credentials = { companyId: '', userId: '', userPassword: '', entityId: '' };

type Field = keyof Credentials;

/** Problems a person can fix before anything is sent; pure so it is tested without a browser. */
export function validate(values: Credentials, fields: readonly Field[]): { field: Field; message: string }[] {
  const labels: Record<Field, string> = {
    companyId: m.form.companyId,
    userId: m.form.userId,
    userPassword: m.form.password,
    entityId: m.form.entityId,
  };
  const errors: { field: Field; message: string }[] = [];
  for (const field of fields) {
    const value = values[field];
    if (field !== 'entityId' && value === '') errors.push({ field, message: m.form.required(labels[field]) });
    // A stray space in an ID is a classic sign-in failure; passwords may legitimately contain spaces.
    else if (field !== 'userPassword' && value !== value.trim())
      errors.push({ field, message: m.form.spaces(labels[field]) });
  }
  return errors;
}

/**
 * The credentials form. Accessible names are part of the public contract (CONTRACT §2c): Company ID,
 * User ID, Password, Entity ID (optional), and the Connect button.
 */
export function CredentialsForm({
  values,
  onChange,
  onSubmit,
  fields = ['companyId', 'userId', 'userPassword', 'entityId'],
  submitLabel = m.form.submit,
  idPrefix = 'cred',
  busy = false,
}: {
  values: Credentials;
  onChange: (values: Credentials) => void;
  onSubmit: () => void;
  fields?: readonly Field[];
  submitLabel?: string;
  idPrefix?: string;
  busy?: boolean;
}) {
  const [errors, setErrors] = useState<{ field: Field; message: string }[]>([]);
  const summaryRef = useRef<HTMLDivElement>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validate(values, fields);
    setErrors(found);
    if (found.length > 0) {
      requestAnimationFrame(() => summaryRef.current?.focus());
      return;
    }
    onSubmit();
  };
  const errorFor = (field: Field) => errors.find((e) => e.field === field)?.message;
  const input = (field: Field, label: string, type: string, autoComplete: string, hint?: string) => {
    const id = `${idPrefix}-${field}`;
    const error = errorFor(field);
    const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
    return (
      <div className="field" key={field}>
        <label htmlFor={id}>{label}</label>
        {hint && (
          <p className="hint" id={`${id}-hint`}>
            {hint}
          </p>
        )}
        {error && (
          <p className="field-error" id={`${id}-error`}>
            {error}
          </p>
        )}
        <input
          id={id}
          name={field}
          type={type}
          autoComplete={autoComplete}
          spellCheck={false}
          autoCapitalize="off"
          value={values[field]}
          aria-invalid={error ? true : undefined}
          aria-describedby={described || undefined}
          required={field !== 'entityId'}
          onChange={(e) => onChange({ ...values, [field]: e.target.value })}
        />
      </div>
    );
  };
  return (
    <form onSubmit={submit} noValidate className="form">
      {errors.length > 0 && (
        <div className="notice notice-error" ref={summaryRef} tabIndex={-1}>
          <p>{m.form.errorsHeading}</p>
          <ul>
            {errors.map((e) => (
              <li key={e.field}>
                <a
                  href={`#${idPrefix}-${e.field}`}
                  onClick={(ev) => focusField(ev, `${idPrefix}-${e.field}`)}
                >
                  {e.message}
                </a>
              </li>
            ))}
          </ul>
        </div>
      )}
      <fieldset>
        <legend>{m.form.legend}</legend>
        {fields.includes('companyId') && input('companyId', m.form.companyId, 'text', 'organization')}
        {fields.includes('userId') && input('userId', m.form.userId, 'text', 'username')}
        {fields.includes('userPassword') &&
          input('userPassword', m.form.password, 'password', 'current-password')}
        {fields.includes('entityId') && input('entityId', m.form.entityId, 'text', 'off', m.form.entityHint)}
      </fieldset>
      <button type="submit" disabled={busy}>
        {submitLabel}
      </button>
    </form>
  );
}

// Hash links would change the route; move focus to the field instead.
function focusField(event: { preventDefault: () => void }, id: string): void {
  event.preventDefault();
  document.getElementById(id)?.focus();
}
