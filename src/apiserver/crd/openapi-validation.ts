// OpenAPI v3 value validation with the semantics and messages of the validator Kubernetes runs on
// custom resources (kube-openapi's, derived from go-openapi): every keyword of a schema node is
// checked independently, errors name the value by its dotted path ("spec.ports[0].port in body
// must be of type integer: \"string\""), and are then turned into field causes the way the
// apiextensions server converts them (required, enum, too long, too many, type, invalid).
import type { StatusCause } from '../../api/meta.ts';
import type { JSONSchemaProps } from '../../api/schema.ts';
import { child, fieldError, formatNumber, goFloat, goJson, goQuote, isRecord } from '../validation/field.ts';
import { effectiveFormat, isStringFormat, matchesStringFormat } from './formats.ts';

/** One failed check, before it becomes a field cause. `name` is the dotted path of the value. */
type SchemaError =
  | { code: 'required'; name: string; message: string }
  | { code: 'enum'; name: string; value: unknown; allowed: unknown[]; message: string }
  | { code: 'tooLong'; name: string; max: number; message: string }
  | { code: 'tooMany'; name: string; actual: number; max: number; message: string }
  | { code: 'type'; name: string; value: unknown; message: string }
  | { code: 'invalid'; name: string; value: unknown; message: string }
  /** anyOf/oneOf/allOf/not outcomes, which Kubernetes reports without a value. */
  | { code: 'composite'; name: string; message: string };

type JsonKind = 'null' | 'string' | 'boolean' | 'integer' | 'number' | 'array' | 'object';

const kindOf = (v: unknown): JsonKind => {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'string' || typeof v === 'boolean') return typeof v as JsonKind;
  return 'object';
};

/** How Go's json decoding types a number, which some messages name ("int64", "float64"). */
const goNumberFormat = (kind: JsonKind) => (kind === 'integer' ? 'int64' : kind === 'number' ? 'float64' : '');

const IN = 'body';

/**
 * Validates `value` against `schema`. Causes name fields under `fieldPrefix` ("" for a whole
 * object), while messages name the value relative to the schema root, as Kubernetes does.
 */
export function validateValue(value: unknown, schema: JSONSchemaProps, fieldPrefix = ''): StatusCause[] {
  const errors: SchemaError[] = [];
  validateNode(value, schema, '', errors);
  const seen = new Set<string>();
  const causes: StatusCause[] = [];
  for (const e of errors) {
    if (seen.has(e.message)) continue;
    seen.add(e.message);
    causes.push(toCause(e, fieldPrefix));
  }
  return causes;
}

function toCause(e: SchemaError, prefix: string): StatusCause {
  const name = e.name.replace(/^\./, '');
  const path = name ? child(prefix, name) : prefix;
  switch (e.code) {
    case 'required': return fieldError.required(path);
    case 'enum': return fieldError.notSupported(path, e.value, e.allowed.map((a) => (typeof a === 'string' ? a : goJson(a))));
    case 'tooLong': return fieldError.tooLong(path, e.max);
    case 'tooMany': return fieldError.tooMany(path, e.actual, e.max);
    case 'type': return fieldError.typeInvalid(path, e.value ?? '', e.message);
    case 'invalid': return fieldError.invalid(path, e.value ?? '', e.message);
    case 'composite': return fieldError.invalid(path, '', e.message);
  }
}

function schemaTypes(s: JSONSchemaProps): string[] {
  if (s['x-kubernetes-int-or-string']) return ['integer', 'string'];
  return s.type ? [s.type] : [];
}

function validateNode(data: unknown, s: JSONSchemaProps, name: string, out: SchemaError[]): void {
  const types = schemaTypes(s);
  const format = effectiveFormat(types.length === 1 ? types[0] : '', s.format);
  const kind = kindOf(data);
  if (kind === 'null') {
    if (types.length > 0 && !s.nullable) out.push(typeError(name, types.join(','), 'null'));
    // go-openapi never matches null against an enum, even one that lists null.
    if (s.enum && s.enum.length > 0) out.push(enumError(name, data, s.enum));
    return;
  }
  if (types.length > 0 || format) checkType(data, kind, types, format, name, out);
  checkCombinators(data, s, name, out);
  if (kind === 'string') {
    checkString(data as string, s, name, out);
    if (format && isStringFormat(format) && !matchesStringFormat(format, data as string)) out.push(typeError(name, format, data));
  }
  if (kind === 'integer' || kind === 'number') checkNumber(data as number, s, types, format, name, out);
  if (kind === 'array') checkArray(data as unknown[], s, name, out);
  if (s.enum && s.enum.length > 0 && !s.enum.some((e) => jsonEqual(e, data))) out.push(enumError(name, data, s.enum));
  if (kind === 'object') checkObject(data as Record<string, unknown>, s, name, out);
}

function typeError(name: string, expected: string, value: unknown): SchemaError {
  const detail = typeof value === 'string' ? `: ${goQuote(value)}` : '';
  return { code: 'type', name, value, message: `${name} in ${IN} must be of type ${expected}${detail}` };
}

function enumError(name: string, value: unknown, allowed: unknown[]): SchemaError {
  return { code: 'enum', name, value, allowed, message: `${name} in ${IN} should be one of ${goList(allowed)}` };
}

/** Go's %v of a []interface{}: "[a 1 true]". */
function goList(values: unknown[]): string {
  return `[${values.map((v) => (typeof v === 'string' ? v : typeof v === 'number' ? formatNumber(v) : goJson(v))).join(' ')}]`;
}

function checkType(data: unknown, kind: JsonKind, types: string[], format: string | undefined, name: string, out: SchemaError[]) {
  const valueFormat = goNumberFormat(kind);
  const intAsNumber = kind === 'integer' && types.includes('number');
  if (kind !== 'string' && kind !== 'array' && format && !(types.includes(kind) || valueFormat === format || intAsNumber)) {
    out.push(typeError(name, format, valueFormat));
    return;
  }
  // A string format on a string (or untyped) schema is the format validator's business.
  if (!types.includes('number') && !types.includes('integer') && format && (kind === 'string' || kind === 'array')) return;
  if (!(types.includes(kind) || intAsNumber)) out.push(typeError(name, types.join(','), kind));
}

function checkCombinators(data: unknown, s: JSONSchemaProps, name: string, out: SchemaError[]) {
  const quoted = goQuote(name);
  if (s.anyOf && s.anyOf.length > 0) {
    const results = s.anyOf.map((sub) => collect(data, sub, name));
    if (!results.some((r) => r.length === 0)) {
      out.push({ code: 'composite', name, message: `${quoted} must validate at least one schema (anyOf)` });
      out.push(...closest(results));
    }
  }
  if (s.oneOf && s.oneOf.length > 0) {
    const results = s.oneOf.map((sub) => collect(data, sub, name));
    const valid = results.filter((r) => r.length === 0).length;
    if (valid !== 1) {
      out.push({ code: 'composite', name, message: `${quoted} must validate one and only one schema (oneOf). ${valid === 0 ? 'Found none valid' : `Found ${valid} valid alternatives`}` });
      if (valid === 0) out.push(...closest(results));
    }
  }
  if (s.allOf && s.allOf.length > 0) {
    const results = s.allOf.map((sub) => collect(data, sub, name));
    for (const r of results) out.push(...r);
    const valid = results.filter((r) => r.length === 0).length;
    if (valid !== results.length) {
      out.push({ code: 'composite', name, message: `${quoted} must validate all the schemas (allOf)${valid === 0 ? '. None validated' : ''}` });
    }
  }
  if (s.not && collect(data, s.not, name).length === 0) {
    out.push({ code: 'composite', name, message: `${quoted} must not validate the schema (not)` });
  }
}

function collect(data: unknown, s: JSONSchemaProps, name: string): SchemaError[] {
  const errors: SchemaError[] = [];
  validateNode(data, s, name, errors);
  return errors;
}

/** The failures of the alternative that came closest, to explain why none matched. */
function closest(results: SchemaError[][]): SchemaError[] {
  return results.reduce((best, r) => (r.length < best.length ? r : best));
}

function checkString(data: string, s: JSONSchemaProps, name: string, out: SchemaError[]) {
  const length = [...data].length;
  if (s.maxLength !== undefined && length > s.maxLength) {
    out.push({ code: 'tooLong', name, max: s.maxLength, message: `${name} in ${IN} should be at most ${s.maxLength} chars long` });
    return;
  }
  if (s.minLength !== undefined && length < s.minLength) {
    out.push({ code: 'invalid', name, value: data, message: `${name} in ${IN} should be at least ${s.minLength} chars long` });
    return;
  }
  if (s.pattern !== undefined) {
    const re = compilePattern(s.pattern);
    if (re instanceof Error) {
      out.push({ code: 'invalid', name, value: data, message: `${name} in ${IN} should match '${s.pattern}, but pattern is invalid: ${re.message}'` });
    } else if (!re.test(data)) {
      out.push({ code: 'invalid', name, value: data, message: `${name} in ${IN} should match '${s.pattern}'` });
    }
  }
}

const patternCache = new Map<string, RegExp | Error>();

/**
 * Kubernetes patterns are Go (RE2) expressions; ECMAScript regexps agree on the forms schemas
 * use. A leading "(?i)" (RE2's case-insensitive flag) becomes the "i" flag.
 */
export function compilePattern(pattern: string): RegExp | Error {
  let compiled = patternCache.get(pattern);
  if (compiled) return compiled;
  const caseless = pattern.startsWith('(?i)');
  const source = caseless ? pattern.slice(4) : pattern;
  const flags = caseless ? 'i' : '';
  try {
    compiled = new RegExp(source, `${flags}u`);
  } catch {
    try {
      compiled = new RegExp(source, flags);
    } catch (err) {
      compiled = err as Error;
    }
  }
  patternCache.set(pattern, compiled);
  return compiled;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const FLOAT32_MAX = 3.4028234663852886e38;

function checkNumber(data: number, s: JSONSchemaProps, types: string[], format: string | undefined, name: string, out: SchemaError[]) {
  const schemaType = types.length === 1 ? types[0] : '';
  if (schemaType === 'integer' && format === 'int32' && Number.isInteger(data) && (data < INT32_MIN || data > INT32_MAX)) {
    out.push({ code: 'composite', name, message: `Checked value must be of type integer with format int32 in ${name}` });
  }
  if (schemaType === 'number' && format === 'float' && Math.abs(data) > FLOAT32_MAX) {
    out.push({ code: 'composite', name, message: `Checked value must be of type number with format float in ${name}` });
  }
  // Integers are compared as integers against integral bounds (and printed so); otherwise as floats.
  const asInt = (bound: number) => Number.isInteger(data) && Number.isInteger(bound);
  const show = (bound: number) => (asInt(bound) ? String(bound) : goFloat(bound));
  if (s.multipleOf !== undefined) {
    const factor = Number.isInteger(data) ? Math.trunc(s.multipleOf) : s.multipleOf;
    if (factor <= 0) {
      out.push({ code: 'invalid', name, value: data, message: `factor MultipleOf declared for ${name} must be positive: ${Number.isInteger(data) ? factor : goFloat(factor)}` });
    } else if (!isMultipleOf(data, factor)) {
      out.push({ code: 'invalid', name, value: data, message: `${name} in ${IN} should be a multiple of ${Number.isInteger(data) ? factor : goFloat(factor)}` });
    }
  }
  if (s.minimum !== undefined) {
    if (s.exclusiveMinimum ? data <= s.minimum : data < s.minimum) {
      out.push({ code: 'invalid', name, value: data, message: `${name} in ${IN} should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${show(s.minimum)}` });
    }
  }
  if (s.maximum !== undefined) {
    if (s.exclusiveMaximum ? data >= s.maximum : data > s.maximum) {
      out.push({ code: 'invalid', name, value: data, message: `${name} in ${IN} should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${show(s.maximum)}` });
    }
  }
}

function isMultipleOf(data: number, factor: number): boolean {
  if (Number.isInteger(data) && Number.isInteger(factor)) return data % factor === 0;
  const quotient = factor < 1 ? (1 / factor) * data : data / factor;
  return Number.isInteger(quotient);
}

function checkArray(data: unknown[], s: JSONSchemaProps, name: string, out: SchemaError[]) {
  if (s.items) data.forEach((item, i) => validateNode(item, s.items!, `${name}[${i}]`, out));
  if (s.minItems !== undefined && data.length < s.minItems) {
    out.push({ code: 'invalid', name, value: data.length, message: `${name} in ${IN} should have at least ${s.minItems} items` });
  }
  if (s.maxItems !== undefined && data.length > s.maxItems) {
    out.push({ code: 'tooMany', name, actual: data.length, max: s.maxItems, message: `${name} in ${IN} should have at most ${s.maxItems} items` });
  }
  if (s.uniqueItems && data.some((v, i) => data.slice(0, i).some((u) => jsonEqual(u, v)))) {
    out.push({ code: 'invalid', name, value: undefined, message: `${name} in ${IN} shouldn't contain duplicates` });
  }
}

function checkObject(data: Record<string, unknown>, s: JSONSchemaProps, name: string, out: SchemaError[]) {
  const size = Object.keys(data).length;
  if (s.minProperties !== undefined && size < s.minProperties) {
    out.push({ code: 'invalid', name, value: size, message: `${name} in ${IN} should have at least ${s.minProperties} properties` });
  }
  if (s.maxProperties !== undefined && size > s.maxProperties) {
    out.push({ code: 'tooMany', name, actual: size, max: s.maxProperties, message: `${name} in ${IN} should have at most ${s.maxProperties} properties` });
  }
  const properties = s.properties ?? {};
  const additional = s.additionalProperties;
  for (const [k, v] of Object.entries(data)) {
    if (Object.hasOwn(properties, k)) continue;
    if (additional === false) {
      out.push({ code: 'invalid', name, value: k, message: `${name}.${k} in ${IN} is a forbidden property` });
    } else if (isRecord(additional)) {
      validateNode(v, additional, `${name}.${k}`, out);
    }
  }
  for (const [k, sub] of Object.entries(properties)) {
    if (Object.hasOwn(data, k)) validateNode(data[k], sub, name ? `${name}.${k}` : k, out);
  }
  for (const k of s.required ?? []) {
    if (!Object.hasOwn(data, k)) out.push({ code: 'required', name: `${name}.${k}`, message: `${name}.${k} in ${IN} is required` });
  }
}

/** Deep equality of JSON values (what reflect.DeepEqual decides for decoded JSON). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}
