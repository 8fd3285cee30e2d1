// Turns the bytes of one protobuf message into the JSON a Go client would have sent for the same
// object: the Go type's pointer and omitempty rules decide which fields appear, embedded structs
// are flattened, and times, quantities and int-or-strings take their own JSON forms.
import { errors, type ApiError } from '../errors.ts';
import { isScalar, type FieldDef, type MessageDef, type Schema, type ScalarType } from './schema.ts';
import { carriesNoData, readFields, WIRE_LENGTH_DELIMITED, WIRE_VARINT, WireError, WireReader, type WireValue } from './wire.ts';
import { decodeJson } from '../decode/json.ts';
import { FORBIDDEN_KEY } from '../decode/keys.ts';

/** Decodes `bytes` as the message `typeName`; a slice of `body` reports offsets into `body`. */
export function decodeMessage(schema: Schema, typeName: string, bytes: Uint8Array, body: Uint8Array = bytes): unknown {
  return new MessageDecoder(schema, body).message(schema.message(typeName), bytes, '');
}

/** A bad request, worded with where in the object and where in the body it went wrong. */
function malformed(path: string, what: string, offset?: number): ApiError {
  const where = [path && `at ${path}`, offset !== undefined && `byte ${offset}`].filter(Boolean).join(', ');
  return errors.badRequest(`error decoding the protobuf body${where ? ` (${where})` : ''}: ${what}`);
}

const fieldPath = (path: string, name: string) => (path ? `${path}.${name}` : name);

class MessageDecoder {
  private readonly schema: Schema;
  private readonly body: Uint8Array;

  constructor(schema: Schema, body: Uint8Array) {
    this.schema = schema;
    this.body = body;
  }

  message(def: MessageDef, bytes: Uint8Array, path: string): unknown {
    const values = this.fieldValues(def, bytes, path);
    const out: Record<string, unknown> = {};
    for (const field of def.fields) this.put(out, field, values.get(field.number) ?? [], path);
    return def.form ? this.inForm(def, out, bytes.length === 0, path) : out;
  }

  /** Groups the wire values of a message by field, refusing data the schema cannot place. */
  private fieldValues(def: MessageDef, bytes: Uint8Array, path: string): Map<number, WireValue[]> {
    const values = new Map<number, WireValue[]>();
    for (const { fieldNumber, value, offset } of this.read(bytes, path)) {
      const field = def.byNumber.get(fieldNumber);
      if (!field) {
        // Go clients write every non-pointer field, zero or not, so a zero value of a field this
        // server does not know (one newer than these definitions) loses nothing.
        if (carriesNoData(value)) continue;
        throw malformed(path, `field number ${fieldNumber} of ${def.name} is not known to this server, so its value would be lost; send the object as application/json instead`, offset);
      }
      const expected = expectedWireTypes(field);
      if (!expected.includes(value.wireType)) {
        throw malformed(fieldPath(path, field.name), `field ${fieldNumber} of ${def.name} has wire type ${value.wireType}, expected ${expected.join(' or ')}`, offset);
      }
      const list = values.get(fieldNumber);
      if (list) list.push(value);
      else values.set(fieldNumber, [value]);
    }
    return values;
  }

  private read(bytes: Uint8Array, path: string) {
    try {
      return readFields(bytes, this.offsetOf(bytes));
    } catch (err) {
      if (err instanceof WireError) throw malformed(path, err.message, err.offset);
      throw err;
    }
  }

  /** Where a slice sits in the request body; merged copies of a field have no single place. */
  private offsetOf(bytes: Uint8Array): number | undefined {
    return bytes.buffer === this.body.buffer ? bytes.byteOffset - this.body.byteOffset : undefined;
  }

  private put(out: Record<string, unknown>, field: FieldDef, values: WireValue[], path: string): void {
    const at = fieldPath(path, field.name);
    if (field.shape !== 'single') {
      const value = field.shape === 'list' ? this.list(field, values, at) : this.map(field, values, at);
      const empty = Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0;
      // Go cannot tell an empty list from a missing one once it went through protobuf: both are
      // nil, which encoding/json writes as null unless the field says omitempty.
      if (!empty) out[field.name] = value;
      else if (field.presence === 'always') out[field.name] = null;
      return;
    }
    if (isScalar(field.type)) {
      if (values.length === 0) {
        if (field.presence === 'always') out[field.name] = zeroValue(field.type);
        return;
      }
      const value = scalar(field.type, values[values.length - 1]);
      if (field.presence === 'omitempty' && isZero(value)) return;
      out[field.name] = value;
      return;
    }
    // A Go pointer is nil exactly when the field is missing; a Go struct value always exists and
    // is written even when empty, as encoding/json does.
    if (values.length === 0 && field.presence === 'pointer') return;
    const value = this.message(this.schema.message(field.type), merged(values), field.presence === 'inline' ? path : at);
    if (field.presence === 'inline') Object.assign(out, value);
    else if (field.presence !== 'omitzero' || value !== null) out[field.name] = value;
  }

  private list(field: FieldDef, values: WireValue[], at: string): unknown[] {
    if (!isScalar(field.type)) {
      const def = this.schema.message(field.type);
      return values.map((v, i) => this.message(def, bytesOf(v), `${at}[${i}]`));
    }
    const type = field.type;
    const items: unknown[] = [];
    for (const value of values) {
      if (value.wireType === WIRE_LENGTH_DELIMITED && type !== 'string' && type !== 'bytes') {
        items.push(...this.packed(type, value.bytes, at));
      } else {
        items.push(scalar(type, value));
      }
    }
    return items;
  }

  /** Numbers and bools of a repeated field may come packed into one length-delimited value. */
  private packed(type: ScalarType, bytes: Uint8Array, at: string): unknown[] {
    const reader = new WireReader(bytes, this.offsetOf(bytes));
    const items: unknown[] = [];
    try {
      while (!reader.atEnd()) items.push(scalar(type, { wireType: WIRE_VARINT, varint: reader.varint() }));
    } catch (err) {
      if (err instanceof WireError) throw malformed(at, err.message, err.offset);
      throw err;
    }
    return items;
  }

  /** A map is a repeated entry message with the key in field 1 and the value in field 2. */
  private map(field: FieldDef, values: WireValue[], at: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const valueDef = isScalar(field.type) ? undefined : this.schema.message(field.type);
    for (const entry of values) {
      let key: WireValue | undefined;
      let value: WireValue | undefined;
      for (const { fieldNumber, value: v, offset } of this.read(bytesOf(entry), at)) {
        if (fieldNumber === 1 && v.wireType === WIRE_LENGTH_DELIMITED) key = v;
        else if (fieldNumber === 2 && (valueDef || expectedWireTypes({ ...field, shape: 'single' }).includes(v.wireType))) value = v;
        else if (!carriesNoData(v)) throw malformed(at, `a map entry holds field ${fieldNumber} with wire type ${v.wireType}; only a string key (1) and a ${field.type} value (2) belong there`, offset);
      }
      const name = key ? (scalar('string', key) as string) : '';
      const entryAt = `${at}[${name}]`;
      if (name === FORBIDDEN_KEY) throw malformed(entryAt, `the key "${FORBIDDEN_KEY}" is not allowed in request data`);
      if (valueDef) {
        if (value && value.wireType !== WIRE_LENGTH_DELIMITED) throw malformed(entryAt, `a ${field.type} value must be length-delimited`);
        out[name] = this.message(valueDef, value ? bytesOf(value) : new Uint8Array(0), entryAt);
      } else {
        out[name] = value ? scalar(field.type as ScalarType, value) : zeroValue(field.type as ScalarType);
      }
    }
    return out;
  }

  /** The JSON of Go types that marshal themselves; `empty` is true for a message with no bytes. */
  private inForm(def: MessageDef, fields: Record<string, unknown>, empty: boolean, path: string): unknown {
    switch (def.form) {
      case 'time':
        // Go writes a zero time as an empty message, and reads back only whole seconds.
        return empty ? null : formatTime(Number(fields.seconds ?? 0), undefined, path);
      case 'microTime': {
        if (empty) return null;
        const micros = Math.trunc(Number(fields.nanos ?? 0) / 1000);
        return formatTime(Number(fields.seconds ?? 0), micros, path);
      }
      case 'quantity':
        return (fields.string as string | undefined) || '0';
      case 'intOrString':
        return fields.type === 1 ? (fields.strVal ?? '') : (fields.intVal ?? 0);
      case 'rawJson': {
        const raw = Buffer.from((fields[def.fields[0].name] as string | undefined) ?? '', 'base64').toString('utf8');
        if (raw === '') return null;
        try {
          return decodeJson(raw).value;
        } catch (err) {
          throw malformed(path, `${def.name} must hold JSON: ${(err as Error).message}`);
        }
      }
      case 'unwrap':
        return fields[def.fields[0].name] ?? null;
      default:
        return fields;
    }
  }
}

function expectedWireTypes(field: FieldDef): number[] {
  if (field.shape === 'map' || !isScalar(field.type) || field.type === 'string' || field.type === 'bytes') return [WIRE_LENGTH_DELIMITED];
  return field.shape === 'list' ? [WIRE_VARINT, WIRE_LENGTH_DELIMITED] : [WIRE_VARINT];
}

function bytesOf(value: WireValue): Uint8Array {
  return value.wireType === WIRE_VARINT ? new Uint8Array(0) : value.bytes;
}

/** Several occurrences of one message field merge; their concatenation decodes as that merge. */
function merged(values: WireValue[]): Uint8Array {
  if (values.length === 0) return new Uint8Array(0);
  if (values.length === 1) return bytesOf(values[0]);
  return Buffer.concat(values.map(bytesOf));
}

const utf8 = new TextDecoder('utf-8');

function scalar(type: ScalarType, value: WireValue): unknown {
  if (value.wireType === WIRE_VARINT) {
    if (type === 'bool') return value.varint !== 0n;
    if (type === 'int32') return Number(BigInt.asIntN(32, value.varint));
    return Number(BigInt.asIntN(64, value.varint));
  }
  return type === 'bytes' ? Buffer.from(value.bytes).toString('base64') : utf8.decode(value.bytes);
}

function zeroValue(type: ScalarType): unknown {
  switch (type) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'bytes':
      return null; // a nil []byte without omitempty
    default:
      return 0;
  }
}

function isZero(value: unknown): boolean {
  return value === '' || value === 0 || value === false;
}

// Go's encoding/json refuses times outside the years 0 to 9999; so does this decoder.
const MIN_SECONDS = -62167219200; // 0000-01-01T00:00:00Z
const MAX_SECONDS = 253402300799; // 9999-12-31T23:59:59Z

/** RFC 3339 in UTC as metav1.Time (whole seconds) or metav1.MicroTime (six fraction digits) write it. */
function formatTime(seconds: number, micros: number | undefined, path: string): string {
  const carry = Math.floor((micros ?? 0) / 1e6);
  const whole = seconds + carry;
  if (!(whole >= MIN_SECONDS && whole <= MAX_SECONDS)) throw malformed(path, `time ${seconds}s after 1970 is outside the years 0 to 9999`);
  const iso = new Date(whole * 1000).toISOString().slice(0, 19);
  if (micros === undefined) return `${iso}Z`;
  return `${iso}.${String(micros - carry * 1e6).padStart(6, '0')}Z`;
}
