// Message definitions for Kubernetes protobuf, in a small text notation.
//
// A .proto file says what is on the wire but not how Kubernetes renders it as JSON: that comes
// from the Go types (pointer or value, `omitempty` or not, embedded structs whose fields are
// inlined). The notation carries both, one field per line:
//
//   package core
//   message Probe {
//     1 handler             ProbeHandler inline   // embedded struct: its fields sit in Probe's JSON
//     2 initialDelaySeconds int32                 // Go value with omitempty: 0 is left out
//     7 terminationGracePeriodSeconds *int64      // Go pointer: in the JSON exactly when on the wire
//   }
//
// Field lines are `<number> <json name> <type> [modifier]`. Types are string, bytes, bool, int32,
// int64 or a message (`Name` in the same package, `pkg.Name` in another), prefixed with `*` for a
// Go pointer or `[]` for a repeated field, or written `map<V>` for a map with string keys.
// Modifiers: `always` (Go field without omitempty: zero values are written, empty lists and maps
// as null), `inline` (embedded struct), `omitzero` (left out when its JSON is null).
// `message Name json=<form> {` gives a message a JSON form of its own, as metav1.Time has.

const SCALAR_TYPES = ['string', 'bytes', 'bool', 'int32', 'int64'] as const;
export type ScalarType = (typeof SCALAR_TYPES)[number];

/** Messages whose Go type marshals to JSON in its own way. */
const JSON_FORMS = ['time', 'microTime', 'quantity', 'intOrString', 'rawJson', 'unwrap'] as const;
export type JsonForm = (typeof JSON_FORMS)[number];

export type Presence = 'omitempty' | 'always' | 'pointer' | 'inline' | 'omitzero';

export interface FieldDef {
  number: number;
  /** The JSON key (for inline fields only the Go name, used in error messages). */
  name: string;
  /** A scalar type or the qualified name of a message, e.g. `meta.Time`. */
  type: string;
  shape: 'single' | 'list' | 'map';
  presence: Presence;
}

export interface MessageDef {
  /** Qualified name, e.g. `core.PodSpec`. */
  name: string;
  form?: JsonForm;
  fields: FieldDef[];
  byNumber: Map<number, FieldDef>;
}

export function isScalar(type: string): type is ScalarType {
  return (SCALAR_TYPES as readonly string[]).includes(type);
}

export class SchemaError extends Error {}

/** All messages of several definition texts, with every type reference checked. */
export class Schema {
  private readonly messages = new Map<string, MessageDef>();

  constructor(texts: string[]) {
    for (const text of texts) {
      for (const def of parseDefinitions(text)) {
        if (this.messages.has(def.name)) throw new SchemaError(`message ${def.name} is defined twice`);
        this.messages.set(def.name, def);
      }
    }
    for (const def of this.messages.values()) this.check(def);
  }

  message(name: string): MessageDef {
    const def = this.messages.get(name);
    if (!def) throw new SchemaError(`no message ${name}`);
    return def;
  }

  has(name: string): boolean {
    return this.messages.has(name);
  }

  private check(def: MessageDef): void {
    if ((def.form === 'unwrap' || def.form === 'rawJson') && def.fields.length !== 1) {
      throw new SchemaError(`${def.name}: json=${def.form} needs exactly one field`);
    }
    for (const field of def.fields) {
      const where = `${def.name}.${field.name}`;
      if (isScalar(field.type)) {
        if (field.presence === 'inline' || field.presence === 'omitzero') throw new SchemaError(`${where}: ${field.presence} needs a message type`);
        continue;
      }
      const target = this.messages.get(field.type);
      if (!target) throw new SchemaError(`${where}: unknown type ${field.type}`);
      if (field.presence === 'inline' && target.form) throw new SchemaError(`${where}: ${field.type} has a JSON form of its own and cannot be inlined`);
      if (field.presence === 'omitzero' && target.form !== 'time' && target.form !== 'microTime') {
        throw new SchemaError(`${where}: omitzero is only meaningful for times`);
      }
    }
  }
}

/** Parses one definition text; type names come back qualified with their package. */
export function parseDefinitions(text: string): MessageDef[] {
  const defs: MessageDef[] = [];
  let pkg: string | undefined;
  let current: MessageDef | undefined;
  const lines = text.split('\n');
  lines.forEach((rawLine, index) => {
    const line = rawLine.replace(/\/\/.*$/, '').trim();
    if (line === '') return;
    const fail = (why: string) => new SchemaError(`line ${index + 1} (${line}): ${why}`);
    const words = line.split(/\s+/);
    if (current === undefined) {
      if (words[0] === 'package' && words.length === 2) {
        pkg = words[1];
        return;
      }
      const header = /^message (\w+)(?: json=(\w+))? \{$/.exec(words.join(' '));
      if (!header) throw fail('expected `package <name>` or `message <Name> [json=<form>] {`');
      if (pkg === undefined) throw fail('a message needs a `package` line before it');
      const form = header[2];
      if (form !== undefined && !(JSON_FORMS as readonly string[]).includes(form)) throw fail(`unknown JSON form ${form}`);
      current = { name: `${pkg}.${header[1]}`, form: form as JsonForm | undefined, fields: [], byNumber: new Map() };
      return;
    }
    if (line === '}') {
      defs.push(current);
      current = undefined;
      return;
    }
    const field = parseField(words, pkg!, fail);
    if (current.byNumber.has(field.number)) throw fail(`field number ${field.number} is used twice in ${current.name}`);
    current.fields.push(field);
    current.byNumber.set(field.number, field);
  });
  if (current !== undefined) throw new SchemaError(`message ${current.name} is not closed`);
  return defs;
}

function parseField(words: string[], pkg: string, fail: (why: string) => Error): FieldDef {
  if (words.length < 3 || words.length > 4) throw fail('expected `<number> <name> <type> [modifier]`');
  const [numberText, name, typeText, modifier] = words;
  const number = Number(numberText);
  if (!Number.isInteger(number) || number < 1 || number > 0x1fffffff) throw fail(`bad field number ${numberText}`);
  let shape: FieldDef['shape'] = 'single';
  let presence: Presence = 'omitempty';
  let type = typeText;
  if (type.startsWith('*')) {
    presence = 'pointer';
    type = type.slice(1);
  } else if (type.startsWith('[]')) {
    shape = 'list';
    type = type.slice(2);
  } else {
    const map = /^map<(.+)>$/.exec(type);
    if (map) {
      shape = 'map';
      type = map[1];
    }
  }
  if (modifier !== undefined) {
    if (modifier !== 'always' && modifier !== 'inline' && modifier !== 'omitzero') throw fail(`unknown modifier ${modifier}`);
    if (presence === 'pointer') throw fail(`a pointer field cannot also be ${modifier}`);
    if (shape !== 'single' && modifier !== 'always') throw fail(`a ${shape} cannot be ${modifier}`);
    presence = modifier;
  }
  if (!/^[A-Za-z_][\w.]*$/.test(type)) throw fail(`bad type ${type}`);
  const qualified = isScalar(type) || type.includes('.') ? type : `${pkg}.${type}`;
  return { number, name, type: qualified, shape, presence };
}
