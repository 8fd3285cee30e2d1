// Test helper: builds protobuf bytes field by field with protobufjs' writer, independently of the
// decoder under test, so tests state the wire layout Kubernetes uses in plain numbers.
import protobuf from 'protobufjs';
import { PROTOBUF_MAGIC } from './envelope.ts';

/** A varint written as the 64-bit two's complement of a signed number. */
export interface Varint { varint: number }
/** Numbers packed into one length-delimited field. */
export interface Packed { packed: number[] }

export type FieldValue = string | Uint8Array | number | boolean | Varint | Packed;

/**
 * One message from [fieldNumber, value] pairs: strings and bytes are length-delimited, numbers
 * and booleans varints (negative numbers as int64, which is also how int32 goes on the wire).
 */
export function message(...fields: Array<[number, FieldValue]>): Uint8Array {
  const w = protobuf.Writer.create();
  for (const [no, value] of fields) {
    if (typeof value === 'string') w.uint32((no << 3) | 2).string(value);
    else if (value instanceof Uint8Array) w.uint32((no << 3) | 2).bytes(value);
    else if (typeof value === 'boolean') w.uint32(no << 3).bool(value);
    else if (typeof value === 'number') w.uint32(no << 3).int64(value);
    else if ('varint' in value) w.uint32(no << 3).int64(value.varint);
    else {
      w.uint32((no << 3) | 2).fork();
      for (const n of value.packed) w.int64(n);
      w.ldelim();
    }
  }
  return w.finish();
}

/** A map entry message: key in field 1, value in field 2. */
export function entry(key: string, value: FieldValue): Uint8Array {
  return message([1, key], [2, value]);
}

/**
 * A whole request body: magic, then runtime.Unknown{typeMeta, raw, contentEncoding, contentType},
 * the last two empty as Go clients send them unless `trailer` says otherwise.
 */
export function framed(apiVersion: string, kind: string, raw: Uint8Array, trailer: Array<[number, FieldValue]> = [[3, ''], [4, '']]): Buffer {
  const unknown = message([1, message([1, apiVersion], [2, kind])], [2, raw], ...trailer);
  return Buffer.concat([PROTOBUF_MAGIC, unknown]);
}

/** Bytes from a hex dump, ignoring whitespace. */
export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}
