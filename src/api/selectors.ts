// Label and field selectors as Kubernetes defines them: the string syntax of the `labelSelector` and
// `fieldSelector` query parameters, and metav1.LabelSelector objects. Parsing follows Kubernetes'
// grammar and error wording, so a bad selector is reported to users exactly as a Kubernetes API
// server reports it. No I/O: the server uses this to filter lists and watches, clients to build them.
import type { LabelSelector } from './kinds/meta.ts';

export type { LabelSelector, LabelSelectorRequirement } from './kinds/meta.ts';

/** A selector that cannot be parsed or used; the message is what the server returns as 400 BadRequest. */
export class SelectorError extends Error {
  override name = 'SelectorError';
}

// ---------------------------------------------------------------------------------------------
// Label keys and values (Kubernetes' qualified-name and label-value rules, v1.33 wording).

const QUALIFIED_NAME = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_VALUE = `(${QUALIFIED_NAME})?`;
const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`;
const qualifiedNameRe = new RegExp(`^${QUALIFIED_NAME}$`);
const labelValueRe = new RegExp(`^${LABEL_VALUE}$`);
const subdomainRe = new RegExp(`^${DNS1123_SUBDOMAIN}$`);
const QUALIFIED_NAME_RULE = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

const byteLength = (s: string) => Buffer.byteLength(s, 'utf8');
const tooLong = (max: number) => `must be no more than ${max} characters`;

function regexError(message: string, regex: string, ...examples: string[]): string {
  return `${message} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${regex}')`;
}

/** Why `key` is not a valid label key (an optional DNS subdomain prefix and '/', then a name). */
export function labelKeyErrors(key: string): string[] {
  const errs: string[] = [];
  const parts = key.split('/');
  if (parts.length > 2) {
    return [`a qualified name ${regexError(QUALIFIED_NAME_RULE, QUALIFIED_NAME, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  if (parts.length === 2) {
    const prefix = parts[0];
    if (prefix === '') errs.push('prefix part must be non-empty');
    else {
      if (byteLength(prefix) > 253) errs.push(`prefix part ${tooLong(253)}`);
      if (!subdomainRe.test(prefix)) {
        errs.push(`prefix part ${regexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", DNS1123_SUBDOMAIN, 'example.com')}`);
      }
    }
  }
  const name = parts[parts.length - 1];
  if (name === '') errs.push('name part must be non-empty');
  else if (byteLength(name) > 63) errs.push(`name part ${tooLong(63)}`);
  if (!qualifiedNameRe.test(name)) errs.push(`name part ${regexError(QUALIFIED_NAME_RULE, QUALIFIED_NAME, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

/** Why `value` is not a valid label value (empty, or up to 63 of [-A-Za-z0-9_.] inside alphanumerics). */
export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 63) errs.push(tooLong(63));
  if (!labelValueRe.test(value)) {
    errs.push(regexError("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", LABEL_VALUE, 'MyValue', 'my_value', '12345'));
  }
  return errs;
}

/** Kubernetes' field.Invalid wording: `<path>: Invalid value: <value>: <detail>`. */
const invalid = (path: string, value: unknown, detail: string) => `${path}: Invalid value: ${JSON.stringify(value ?? null)}: ${detail}`;

/** Kubernetes' aggregate error wording: one message alone, several in brackets, duplicates dropped. */
function aggregate(messages: string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}

// ---------------------------------------------------------------------------------------------
// Label selectors.

/** Kubernetes' selection operators. `exists` is a bare key, `!` a key prefixed with '!'. */
export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  /** One value for =, ==, !=, gt, lt; at least one for in/notin; none for exists and !. */
  values: string[];
}

export type Labels = Readonly<Record<string, string>> | undefined;


/** Checks a requirement the way Kubernetes' NewRequirement does; returns the error messages. */
function requirementErrors(r: LabelRequirement): string[] {
  const errs: string[] = [];
  const keyProblems = labelKeyErrors(r.key);
  if (keyProblems.length) errs.push(invalid('key', r.key, keyProblems.join('; ')));
  const n = r.values.length;
  switch (r.operator) {
    case 'in':
    case 'notin':
      if (n === 0) errs.push(invalid('values', null, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (n !== 1) errs.push(invalid('values', r.values, 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (n !== 0) errs.push(invalid('values', r.values, 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (n !== 1) errs.push(invalid('values', r.values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      r.values.forEach((v, i) => {
        if (parseInteger(v) === undefined) errs.push(invalid(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
  }
  r.values.forEach((v, i) => {
    const problems = labelValueErrors(v);
    if (problems.length) errs.push(invalid(`values[${i}][${r.key}]`, v, problems.join('; ')));
  });
  return errs;
}

/** A base-10 64-bit integer as Go's strconv.ParseInt reads it, or undefined. */
function parseInteger(text: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const n = BigInt(text);
  return n >= -(2n ** 63n) && n < 2n ** 63n ? n : undefined;
}

type TokenKind = 'end' | 'ident' | 'in' | 'notin' | '(' | ')' | ',' | '!' | '=' | '==' | '!=' | '>' | '<';
interface Token { kind: TokenKind; text: string }

const SYMBOLS = new Set(['=', '!', '(', ')', ',', '>', '<']);
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';

/** Splits a selector into tokens: runs of symbols form the longest operator, anything else a word. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (true) {
    while (i < text.length && isSpace(text[i])) i++;
    if (i >= text.length) break;
    if (SYMBOLS.has(text[i])) {
      const two = text.slice(i, i + 2);
      const op = two === '!=' || two === '==' ? two : text[i];
      tokens.push({ kind: op as TokenKind, text: op });
      i += op.length;
      continue;
    }
    let j = i;
    while (j < text.length && !SYMBOLS.has(text[j]) && !isSpace(text[j])) j++;
    const word = text.slice(i, j);
    tokens.push({ kind: word === 'in' || word === 'notin' ? word : 'ident', text: word });
    i = j;
  }
  tokens.push({ kind: 'end', text: '' });
  return tokens;
}

const BINARY_OPERATORS = 'in, notin, =, ==, !=, gt, lt';

/** Recursive-descent parser over the token list, worded like Kubernetes' labels.Parse. */
class LabelSelectorParser {
  private readonly tokens: Token[];
  private pos = 0;

  constructor(text: string) {
    this.tokens = tokenize(text);
  }

  /** In value position `in` and `notin` are ordinary words (e.g. `x in (in)`). */
  private peek(asValue = true): Token {
    const t = this.tokens[this.pos];
    return asValue && (t.kind === 'in' || t.kind === 'notin') ? { kind: 'ident', text: t.text } : t;
  }

  private next(asValue = true): Token {
    const t = this.peek(asValue);
    this.pos++;
    return t;
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === 'end') return requirements;
      if (t.kind !== 'ident' && t.kind !== '!') throw new SelectorError(`found '${t.text}', expected: !, identifier, or 'end of string'`);
      try {
        requirements.push(this.requirement());
      } catch (err) {
        throw new SelectorError(`unable to parse requirement: ${(err as Error).message}`);
      }
      const after = this.next();
      if (after.kind === 'end') return requirements;
      if (after.kind !== ',') throw new SelectorError(`found '${after.text}', expected: ',' or 'end of string'`);
      const following = this.peek();
      if (following.kind !== 'ident' && following.kind !== '!') throw new SelectorError(`found '${following.text}', expected: identifier after ','`);
    }
  }

  private requirement(): LabelRequirement {
    let t = this.next();
    const negated = t.kind === '!';
    if (negated) t = this.next();
    if (t.kind !== 'ident') throw new Error(`found '${t.text}', expected: identifier`);
    const key = t.text;
    const keyProblems = labelKeyErrors(key);
    if (keyProblems.length) throw new Error(invalid('<nil>', key, keyProblems.join('; ')));
    const ahead = this.peek().kind;
    // `!key` ends the requirement whatever follows; a bare key before ',' or the end means exists.
    if (negated) return checked({ key, operator: '!', values: [] });
    if (ahead === 'end' || ahead === ',') return checked({ key, operator: 'exists', values: [] });
    const op = this.next(false);
    switch (op.kind) {
      case 'in':
      case 'notin':
        return checked({ key, operator: op.kind, values: this.valueSet() });
      case '=':
      case '==':
      case '!=':
        return checked({ key, operator: op.kind, values: [this.exactValue()] });
      case '>':
      case '<':
        return checked({ key, operator: op.kind === '>' ? 'gt' : 'lt', values: [this.exactValue()] });
      default:
        throw new Error(`found '${op.text}', expected: ${BINARY_OPERATORS}`);
    }
  }

  /** `(a,b,c)`; empty members (`(a,)`, `()`) stand for the empty value. Sorted and unique. */
  private valueSet(): string[] {
    const open = this.next();
    if (open.kind !== '(') throw new Error(`found '${open.text}' expected: '('`);
    const values = new Set<string>();
    const first = this.peek();
    if (first.kind === ')') {
      this.next();
      return [''];
    }
    if (first.kind !== 'ident' && first.kind !== ',') throw new Error(`found '${first.text}', expected: ',', ')' or identifier`);
    for (;;) {
      const t = this.next();
      if (t.kind === 'ident') {
        values.add(t.text);
        const ahead = this.peek();
        if (ahead.kind === ')') break;
        if (ahead.kind !== ',') throw new Error(`found '${ahead.text}', expected: ',' or ')'`);
      } else if (t.kind === ',') {
        if (values.size === 0) values.add('');
        const ahead = this.peek().kind;
        if (ahead === ')') {
          values.add('');
          break;
        }
        if (ahead === ',') values.add('');
      } else {
        throw new Error(`found '${t.text}', expected: ',', or identifier`);
      }
    }
    this.next();
    return [...values].sort(compareStrings);
  }

  /** The value after =, ==, !=, > or <; nothing before ',' or the end is the empty value. */
  private exactValue(): string {
    const ahead = this.peek().kind;
    if (ahead === 'end' || ahead === ',') return '';
    const t = this.next();
    if (t.kind !== 'ident') throw new Error(`found '${t.text}', expected: identifier`);
    return t.text;
  }
}

function checked(r: LabelRequirement): LabelRequirement {
  const errs = requirementErrors(r);
  if (errs.length) throw new Error(aggregate(errs));
  return r;
}

/** Byte-wise order, as Go sorts strings. */
function compareStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

const byKey = (a: LabelRequirement, b: LabelRequirement) => compareStrings(a.key, b.key);

/**
 * Parses a label selector string such as `app=web,tier!=db,env in (a,b),!legacy,release`.
 * The empty string selects everything. Throws SelectorError with Kubernetes' message.
 */
export function parseLabelSelector(text: string): LabelRequirement[] {
  return new LabelSelectorParser(text).parse().sort(byKey);
}

const OBJECT_OPERATORS: Record<string, LabelOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/**
 * The requirements of a metav1.LabelSelector, or `'nothing'` for an absent selector, which by
 * Kubernetes' convention matches no object (while an empty one matches every object).
 */
export function labelSelectorRequirements(selector: LabelSelector | null | undefined): LabelRequirement[] | 'nothing' {
  if (!selector) return 'nothing';
  const requirements: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) requirements.push({ key, operator: '=', values: [value] });
  for (const expr of selector.matchExpressions ?? []) {
    const operator = OBJECT_OPERATORS[expr.operator];
    if (!operator) throw new SelectorError(`${JSON.stringify(expr.operator)} is not a valid label selector operator`);
    requirements.push({ key: expr.key, operator, values: [...(expr.values ?? [])] });
  }
  for (const r of requirements) {
    const errs = requirementErrors(r);
    if (errs.length) throw new SelectorError(aggregate(errs));
  }
  return requirements.sort(byKey);
}

function requirementMatches(r: LabelRequirement, labels: Labels): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, r.key);
  const value = has ? labels![r.key] : undefined;
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return has && r.values.includes(value!);
    case '!=':
    case 'notin':
      return !has || !r.values.includes(value!);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || r.values.length !== 1) return false;
      const actual = parseInteger(value!);
      const bound = parseInteger(r.values[0]);
      if (actual === undefined || bound === undefined) return false;
      return r.operator === 'gt' ? actual > bound : actual < bound;
    }
  }
}

/** True when `labels` meet every requirement (an empty list matches everything). */
export function matchesLabels(requirements: readonly LabelRequirement[] | 'nothing', labels: Labels): boolean {
  return requirements !== 'nothing' && requirements.every((r) => requirementMatches(r, labels));
}

const OPERATOR_TEXT: Record<LabelOperator, string> = {
  '=': '=', '==': '==', '!=': '!=', in: ' in ', notin: ' notin ', gt: '>', lt: '<', exists: '', '!': '',
};

/** The canonical string form, as Kubernetes prints selectors (values sorted, e.g. `a in (x,y),!b`). */
export function formatLabelRequirements(requirements: readonly LabelRequirement[]): string {
  return requirements.map((r) => {
    if (r.operator === 'exists') return r.key;
    if (r.operator === '!') return `!${r.key}`;
    const values = [...r.values].sort(compareStrings).join(',');
    const set = r.operator === 'in' || r.operator === 'notin';
    return `${r.key}${OPERATOR_TEXT[r.operator]}${set ? `(${values})` : values}`;
  }).join(',');
}

/** A metav1.LabelSelector as a `labelSelector` query string. An absent selector has no string form. */
export function labelSelectorToString(selector: LabelSelector): string {
  return formatLabelRequirements(labelSelectorRequirements(selector) as LabelRequirement[]);
}

// ---------------------------------------------------------------------------------------------
// Field selectors.

export interface FieldRequirement {
  field: string;
  /** `==` is read as `=`. */
  operator: '=' | '!=';
  value: string;
}

/** Splits at commas not escaped by a backslash; escapes stay in the terms for later unescaping. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === ',') {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms;
}

/** The first operator in a term splits it: the field part has no escaping. */
function splitTerm(term: string): { field: string; operator: string; rest: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const operator of ['!=', '==', '=']) {
      if (term.startsWith(operator, i)) return { field: term.slice(0, i), operator, rest: term.slice(i + operator.length) };
    }
  }
  return undefined;
}

/** Undoes `\\`, `\,` and `\=`; a bare ',' or '=' in a value, or any other escape, is an error. */
export function unescapeFieldValue(value: string): string {
  if (!/[\\,=]/.test(value)) return value;
  let out = '';
  const chars = [...value];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '\\') {
      const escaped = chars[i + 1];
      if (escaped === undefined) throw new SelectorError('invalid field selector: invalid escape sequence: \\');
      if (escaped !== '\\' && escaped !== ',' && escaped !== '=') throw new SelectorError(`invalid field selector: invalid escape sequence: \\${escaped}`);
      out += escaped;
      i++;
    } else if (c === ',' || c === '=') {
      // Kubernetes prints the character's code point here.
      throw new SelectorError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else {
      out += c;
    }
  }
  return out;
}

export function escapeFieldValue(value: string): string {
  return value.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/**
 * Parses a field selector such as `metadata.name=x,status.phase!=Running`. When `supportedFields`
 * is given, a field outside it is refused with Kubernetes' `field label not supported: <field>`.
 * The empty string selects everything. Throws SelectorError.
 */
export function parseFieldSelector(text: string, supportedFields?: Iterable<string>): FieldRequirement[] {
  const requirements: FieldRequirement[] = [];
  for (const term of splitTerms(text).sort(compareStrings)) {
    if (term === '') continue;
    const parts = splitTerm(term);
    if (!parts) throw new SelectorError(`invalid selector: '${text}'; can't understand '${term}'`);
    requirements.push({ field: parts.field, operator: parts.operator === '!=' ? '!=' : '=', value: unescapeFieldValue(parts.rest) });
  }
  if (supportedFields) {
    const supported = new Set(supportedFields);
    for (const r of requirements) if (!supported.has(r.field)) throw new SelectorError(`field label not supported: ${r.field}`);
  }
  return requirements;
}

/** True when the object's selectable `fields` meet every requirement; a missing field reads as "". */
export function matchesFields(requirements: readonly FieldRequirement[], fields: Readonly<Record<string, string>>): boolean {
  return requirements.every((r) => {
    const equal = (Object.hasOwn(fields, r.field) ? fields[r.field] : '') === r.value;
    return r.operator === '=' ? equal : !equal;
  });
}

export function formatFieldRequirements(requirements: readonly FieldRequirement[]): string {
  return requirements.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(',');
}
