// The part of kubectl's JSONPath that CRD additionalPrinterColumns use: field access (`.spec.x`,
// `['key']`, `\.` inside names), `.*`, array index and slices (`[0]`, `[-1]`, `[1:3]`, `[*]`) and
// filters (`[?(@.type=="Ready")]`, `[?(@.x)]`). Results and errors follow client-go's jsonpath with
// missing keys allowed (a missing field yields no result), as the API server evaluates columns.
// Unions, recursive descent and range/end templates are refused with an error saying so.

export class JsonPathError extends Error {
  override name = 'JsonPathError';
}

type ComparisonOperator = '==' | '!=' | '<' | '>' | '<=' | '>=';
type Literal = string | number | boolean;

type Operand = { kind: 'path'; steps: Step[] } | { kind: 'literal'; value: Literal };

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'wildcard' }
  | {
    kind: 'slice';
    start?: number;
    end?: number;
    step?: number;
    /** `[i]` is the slice i:i+1, where an end of 0 (from `[-1]`) means the array's end. */
    single: boolean;
  }
  | { kind: 'filter'; left: Step[]; operator?: ComparisonOperator; right?: Operand };

export interface JsonPath {
  readonly expression: string;
  /** Every value the path selects in `root`, in order; throws JsonPathError on a type mismatch. */
  find(root: unknown): unknown[];
}

const OPERATORS = new Set<string>(['==', '!=', '<', '>', '<=', '>=']);
const FIELD_END = new Set([' ', '\t', '\r', '\n', '.', ',', '[', ']', '$', '@', '{', '}']);
const SLICE = /^(-?\d*)(:-?\d*)?(:-?\d*)?$/;

/**
 * Parses a JSONPath as written in a CRD column (`.status.replicas`) or in kubectl's braces
 * (`{.status.replicas}`). Throws JsonPathError naming what is wrong or unsupported.
 */
export function parseJsonPath(expression: string): JsonPath {
  let body = expression.trim();
  if (body.startsWith('{')) {
    if (!body.endsWith('}') || body.indexOf('}') !== body.length - 1) {
      throw new JsonPathError(`${expression}: only a single {...} expression is supported, without text around it`);
    }
    body = body.slice(1, -1);
  }
  if (body.trim() === '') throw new JsonPathError('empty JSONPath expression');
  const steps = parseSteps(body, expression);
  return { expression, find: (root) => evaluate(steps, [root]) };
}

/** Reads steps from `text`; `source` is the whole expression, for messages. */
function parseSteps(text: string, source: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  const fail = (what: string): never => {
    throw new JsonPathError(`${source}: ${what}`);
  };
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '$' || c === '@') {
      i++;
    } else if (text.startsWith('..', i)) {
      fail('recursive descent (..) is not supported');
    } else if (c === '.') {
      const { name, next } = readFieldName(text, i + 1);
      if (name === '') fail(`a field name is missing after '.' at position ${i}`);
      steps.push(name === '*' ? { kind: 'wildcard' } : { kind: 'field', name });
      i = next;
    } else if (text.startsWith('[?(', i)) {
      const { condition, next } = readFilter(text, i + 3, fail);
      steps.push(parseFilter(condition, source));
      i = next;
    } else if (c === '[') {
      const close = text.indexOf(']', i);
      if (close < 0) fail('unterminated array index: missing ]');
      steps.push(...parseBracket(text.slice(i + 1, close), source));
      i = close + 1;
    } else if (c === '"' || c === "'") {
      fail('quoted text outside a filter is not supported');
    } else if (/[A-Za-z_]/.test(c)) {
      fail(`unexpected word at position ${i}; templates (range, end) are not supported, and fields start with '.'`);
    } else {
      fail(`unexpected character ${JSON.stringify(c)} at position ${i}`);
    }
  }
  return steps;
}

/** A field name runs to the next terminator; a backslash keeps the following character (e.g. `\.`). */
function readFieldName(text: string, from: number): { name: string; next: number } {
  let name = '';
  let i = from;
  while (i < text.length && !FIELD_END.has(text[i])) {
    if (text[i] === '\\' && i + 1 < text.length) i++;
    name += text[i];
    i++;
  }
  return { name, next: i };
}

/** Finds the `)]` that closes a filter, skipping parentheses inside quoted strings. */
function readFilter(text: string, from: number, fail: (what: string) => never): { condition: string; next: number } {
  let quote = '';
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === ')') {
      if (text[i + 1] !== ']') fail('a filter must end with )]');
      return { condition: text.slice(from, i), next: i + 2 };
    }
  }
  return fail('unterminated filter: missing )]');
}

function parseBracket(inner: string, source: string): Step[] {
  const content = inner.trim();
  if (content === '*') return [{ kind: 'slice', single: false }];
  if (content.includes(',')) throw new JsonPathError(`${source}: unions like [${content}] are not supported`);
  const key = /^'([^']*)'$/.exec(content);
  // As in kubectl, a quoted key is read like a dotted path: escape dots that belong to the key.
  if (key) return parseSteps(`.${key[1]}`, source);
  const slice = SLICE.exec(content);
  if (!slice || content === '') throw new JsonPathError(`${source}: invalid array index [${content}]`);
  const [, start, end, step] = slice;
  const number = (s: string | undefined) => {
    if (s === undefined || s === '') return undefined;
    if (s === '-') throw new JsonPathError(`${source}: array index ${s} is not a number`);
    return Number(s);
  };
  if (end === undefined) return [{ kind: 'slice', start: number(start), end: number(start)! + 1, single: true }];
  return [{ kind: 'slice', start: number(start), end: number(end.slice(1)), step: number(step?.slice(1)), single: false }];
}

const CONDITION = /^([^!<>=]+)([!<>=]+)(.+?)$/;

function parseFilter(condition: string, source: string): Step {
  const parts = CONDITION.exec(condition);
  if (!parts) return { kind: 'filter', left: parseOperandPath(condition, source) };
  const [, left, operator, right] = parts;
  if (!OPERATORS.has(operator)) throw new JsonPathError(`${source}: unrecognized filter operator ${operator}`);
  return { kind: 'filter', left: parseOperandPath(left, source), operator: operator as ComparisonOperator, right: parseOperand(right, source) };
}

function parseOperandPath(text: string, source: string): Step[] {
  const trimmed = text.trim();
  if (!trimmed.startsWith('@')) throw new JsonPathError(`${source}: a filter compares a path starting with @, got ${JSON.stringify(trimmed)}`);
  return parseSteps(trimmed, source);
}

function parseOperand(text: string, source: string): Operand {
  const t = text.trim();
  if (t.startsWith('@')) return { kind: 'path', steps: parseOperandPath(t, source) };
  if (t.length >= 2 && (t[0] === '"' || t[0] === "'") && t.endsWith(t[0])) {
    return { kind: 'literal', value: t.slice(1, -1).replace(/\\(.)/g, (_, ch: string) => ({ n: '\n', t: '\t', r: '\r' })[ch] ?? ch) };
  }
  if (/^[+-]?\d+(\.\d+)?$/.test(t)) return { kind: 'literal', value: Number(t) };
  if (t === 'true' || t === 'false') return { kind: 'literal', value: t === 'true' };
  throw new JsonPathError(`${source}: a filter compares with a quoted string, a number, true, false or a path starting with @, got ${JSON.stringify(t)}`);
}

// ---------------------------------------------------------------------------------------------

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

function evaluate(steps: Step[], input: unknown[]): unknown[] {
  let values = input;
  for (const step of steps) {
    switch (step.kind) {
      case 'field':
        values = values.filter((v) => isObject(v) && Object.hasOwn(v, step.name)).map((v) => (v as Record<string, unknown>)[step.name]);
        break;
      case 'wildcard':
        values = values.flatMap((v) => (Array.isArray(v) ? v : isObject(v) ? Object.values(v) : []));
        break;
      case 'slice':
        values = values.flatMap((v) => slice(v, step));
        break;
      case 'filter':
        values = values.flatMap((v) => filter(v, step));
        break;
    }
  }
  return values;
}

/** client-go's index and slice rules, including its out-of-bounds errors. */
function slice(value: unknown, s: Extract<Step, { kind: 'slice' }>): unknown[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) throw new JsonPathError(`${typeName(value)} is not array or slice`);
  const length = value.length;
  let start = s.start ?? 0;
  if (start < 0) start += length;
  let end = s.end ?? length;
  if (end < 0 || (end === 0 && s.single)) end += length;
  if (end === start) return [];
  if (start >= length || start < 0) throw new JsonPathError(`array index out of bounds: index ${start}, length ${length}`);
  if (end > length || end < 0) throw new JsonPathError(`array index out of bounds: index ${end - 1}, length ${length}`);
  if (start > end) throw new JsonPathError(`starting index ${start} is greater than ending index ${end}`);
  const step = s.step ?? 1;
  if (step <= 0) throw new JsonPathError('step must be > 0');
  const out: unknown[] = [];
  for (let i = start; i < end; i += step) out.push(value[i]);
  return out;
}

function filter(value: unknown, f: Extract<Step, { kind: 'filter' }>): unknown[] {
  if (!Array.isArray(value)) throw new JsonPathError(`${typeName(value)} is not array or slice and cannot be filtered`);
  return value.filter((element) => {
    if (!f.operator || !f.right) {
      try {
        return evaluate(f.left, [element]).length > 0;
      } catch {
        return false;
      }
    }
    const left = single(evaluate(f.left, [element]));
    const right = single(f.right.kind === 'literal' ? [f.right.value] : evaluate(f.right.steps, [element]));
    return left.found && right.found && compare(left.value, f.operator, right.value);
  });
}

function single(values: unknown[]): { found: boolean; value?: unknown } {
  if (values.length > 1) throw new JsonPathError('can only compare one element at a time');
  return values.length === 0 ? { found: false } : { found: true, value: values[0] };
}

/** Go template comparison: same basic kind required; only numbers and strings are ordered. */
function compare(left: unknown, operator: ComparisonOperator, right: unknown): boolean {
  const kind = (v: unknown) => {
    const t = typeof v;
    if (t !== 'string' && t !== 'number' && t !== 'boolean') throw new JsonPathError('invalid type for comparison');
    return t;
  };
  if (kind(left) !== kind(right)) throw new JsonPathError('incompatible types for comparison');
  if (operator === '==') return left === right;
  if (operator === '!=') return left !== right;
  if (typeof left === 'boolean') throw new JsonPathError('invalid type for comparison');
  const [a, b] = [left as string | number, right as string | number];
  switch (operator) {
    case '<': return a < b;
    case '>': return a > b;
    case '<=': return a <= b;
    case '>=': return a >= b;
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * A selected value as kubectl's JSONPath prints it: strings as they are, numbers and booleans as Go
 * prints them, objects and arrays as compact JSON with sorted keys, null as `<no value>`.
 */
export function printJsonPathValue(value: unknown): string {
  if (value === null || value === undefined) return '<no value>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return goNumber(value);
  if (typeof value === 'boolean') return String(value);
  return goJson(value);
}

/** Integers print as integers; other numbers like Go's %v of a float64 (exponent from 1e6 on). */
function goNumber(n: number): string {
  if (Number.isInteger(n) || !Number.isFinite(n)) return String(n);
  const exponent = Math.floor(Math.log10(Math.abs(n)));
  if (exponent >= -4 && exponent < 6) return String(n);
  return n.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
}

/** Go's json.Marshal of decoded JSON: map keys sorted, <, > and & escaped. */
function goJson(value: unknown): string {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (isObject(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])]));
    return v;
  };
  return JSON.stringify(sorted(value)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
