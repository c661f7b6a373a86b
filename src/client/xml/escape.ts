/**
 * XML text and attribute escaping. Characters XML 1.0 cannot carry at all (most C0 controls, lone
 * surrogates, U+FFFE/U+FFFF) become U+FFFD: they cannot be sent, and must never break the structure.
 */
const NEEDS_WORK = /[&<>"'\r\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/;
const ALL =
  /[&<>"'\r\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff][\udc00-\udfff]|[\ud800-\udfff]/g;

const REPLACEMENTS: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // A parser would turn a raw CR into LF; the reference keeps it.
  '\r': '&#13;',
};

export function escapeXml(value: string | number | boolean): string {
  const s = String(value);
  if (!NEEDS_WORK.test(s)) return s;
  return s.replace(ALL, (ch) => {
    const known = REPLACEMENTS[ch];
    if (known) return known;
    // A well-formed surrogate pair is a legal character.
    if (ch.length === 2) return ch;
    return '\ufffd';
  });
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Element names come from callers (object and field names); refuse anything that is not a plain name. */
export function assertXmlName(name: string, what: string): string {
  if (!NAME.test(name) || /^xml/i.test(name)) {
    throw new RangeError(`${what} "${name}" is not a valid XML element name`);
  }
  return name;
}

export function element(name: string, value: string | number | boolean | undefined | null): string {
  if (value === undefined || value === null) return '';
  return `<${name}>${escapeXml(value)}</${name}>`;
}
