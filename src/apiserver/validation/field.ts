// Field errors in Kubernetes' wording. A cause's message is what Kubernetes calls the error body
// ("Invalid value: \"x\": detail"), its field the path in Kubernetes' notation: `spec.items[0]`
// for list indices and `metadata.labels[app]` for map keys. Bad values are rendered the way
// Go renders them there (strings quoted, numbers and booleans bare, everything else as JSON), so
// clients that match on these messages see what a Kubernetes API server would send.
import type { StatusCause } from '../../api/meta.ts';
import { fieldCause } from '../errors.ts';

/** `spec` + `replicas` → `spec.replicas`; the empty path is the root. */
export function child(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

/** `spec.items` + 0 → `spec.items[0]`. */
export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}

/** `metadata.labels` + `app` → `metadata.labels[app]` (map keys are not quoted). */
export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}

/** Renders a value as Go's fmt verb %v does for the types a JSON document holds. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return String(value);
  return goJson(value);
}

/** Go prints integral JSON numbers as int64 and the rest as float64 (%v → shortest %g). */
export function formatNumber(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 2 ** 63 ? String(n) : goFloat(n);
}

/** Go's %v for a float64: shortest digits, in exponent form below 1e-4 and from 1e6 (%g's rule). */
export function goFloat(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const [mantissa, exponentText] = n.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? '-' : '+';
    const digits = String(Math.abs(exponent)).padStart(2, '0');
    return `${mantissa}e${sign}${digits}`;
  }
  return String(n);
}

/** Go's strconv.Quote for the characters JSON strings can hold. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    switch (ch) {
      case '"': out += '\\"'; break;
      case '\\': out += '\\\\'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\t': out += '\\t'; break;
      case '\x07': out += '\\a'; break;
      case '\b': out += '\\b'; break;
      case '\f': out += '\\f'; break;
      case '\v': out += '\\v'; break;
      default:
        if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
        else if (code >= 0x80 && code < 0xa0) out += `\\u${code.toString(16).padStart(4, '0')}`;
        else out += ch;
    }
  }
  return `${out}"`;
}

/** Go's json.Marshal: object keys sorted, and <, > and & escaped as Go does by default. */
export function goJson(value: unknown): string {
  const text = JSON.stringify(sortKeys(value)) ?? 'null';
  return text.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) sorted[k] = sortKeys((value as Record<string, unknown>)[k]);
    return sorted;
  }
  return value;
}

const withDetail = (body: string, detail: string) => (detail ? `${body}: ${detail}` : body);

/** One constructor per Kubernetes field error type (k8s.io/apimachinery/pkg/util/validation/field). */
export const fieldError = {
  invalid: (path: string, value: unknown, detail: string): StatusCause =>
    fieldCause('FieldValueInvalid', path, withDetail(`Invalid value: ${formatValue(value)}`, detail)),
  /** A value of the wrong JSON type; Kubernetes words it like an invalid value. */
  typeInvalid: (path: string, value: unknown, detail: string): StatusCause =>
    fieldCause('FieldValueTypeInvalid', path, withDetail(`Invalid value: ${formatValue(value)}`, detail)),
  required: (path: string, detail = ''): StatusCause =>
    fieldCause('FieldValueRequired', path, withDetail('Required value', detail)),
  forbidden: (path: string, detail: string): StatusCause =>
    fieldCause('FieldValueForbidden', path, withDetail('Forbidden', detail)),
  duplicate: (path: string, value: unknown): StatusCause =>
    fieldCause('FieldValueDuplicate', path, `Duplicate value: ${formatValue(value)}`),
  notSupported: (path: string, value: unknown, supported: readonly string[]): StatusCause =>
    fieldCause('FieldValueNotSupported', path, withDetail(
      `Unsupported value: ${formatValue(value)}`,
      supported.length > 0 ? `supported values: ${supported.map(goQuote).join(', ')}` : '',
    )),
  tooLong: (path: string, maxBytes: number): StatusCause =>
    fieldCause('FieldValueTooLong', path, `Too long: may not be more than ${maxBytes} ${maxBytes === 1 ? 'byte' : 'bytes'}`),
  tooMany: (path: string, actual: number, max: number): StatusCause =>
    fieldCause('FieldValueTooMany', path, `Too many: ${actual}: must have at most ${max} ${max === 1 ? 'item' : 'items'}`),
};

/** Byte length as Go's len() counts it, which is what Kubernetes' length limits measure. */
export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
