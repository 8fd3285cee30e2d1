// The protobuf wire format, read-only: tags, varints, fixed-width values and length-delimited
// slices. Every read checks the bounds, so truncated or corrupt input becomes a WireError with
// the byte offset instead of a RangeError from deep inside the decoder.

/** Protobuf wire types; groups (3, 4) are deprecated and never used by Kubernetes. */
export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_FIXED32 = 5;

export class WireError extends Error {
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

/** One value as it sits on the wire, before a schema gives it meaning. */
export type WireValue =
  | { wireType: typeof WIRE_VARINT; varint: bigint }
  | { wireType: typeof WIRE_FIXED64 | typeof WIRE_FIXED32 | typeof WIRE_LENGTH_DELIMITED; bytes: Uint8Array };

export interface WireField {
  fieldNumber: number;
  value: WireValue;
}

export class WireReader {
  private readonly buf: Uint8Array;
  private pos = 0;
  /** Where this slice starts in the whole body, so offsets in errors point into the request. */
  private readonly base: number;

  constructor(buf: Uint8Array, base = 0) {
    this.buf = buf;
    this.base = base;
  }

  get offset(): number {
    return this.base + this.pos;
  }

  atEnd(): boolean {
    return this.pos >= this.buf.length;
  }

  /** Reads the next tag and its value. */
  field(): WireField {
    const start = this.offset;
    const tag = this.varint();
    const fieldNumber = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    if (fieldNumber === 0 || fieldNumber > 0x1fffffff) throw new WireError(`invalid field number ${fieldNumber}`, start);
    switch (wireType) {
      case WIRE_VARINT:
        return { fieldNumber, value: { wireType, varint: this.varint() } };
      case WIRE_FIXED64:
        return { fieldNumber, value: { wireType, bytes: this.take(8) } };
      case WIRE_FIXED32:
        return { fieldNumber, value: { wireType, bytes: this.take(4) } };
      case WIRE_LENGTH_DELIMITED: {
        const lengthAt = this.offset;
        const length = this.varint();
        if (length > BigInt(this.buf.length - this.pos)) {
          throw new WireError(`length ${length} runs past the end of the data (${this.buf.length - this.pos} bytes left)`, lengthAt);
        }
        return { fieldNumber, value: { wireType, bytes: this.take(Number(length)) } };
      }
      default:
        throw new WireError(`field ${fieldNumber} uses wire type ${wireType}, which Kubernetes never sends`, start);
    }
  }

  /** An unsigned varint of up to 64 bits. */
  varint(): bigint {
    const start = this.offset;
    let result = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new WireError('data ends inside a varint', start);
      const byte = this.buf[this.pos++];
      result |= BigInt(byte & 0x7f) << BigInt(7 * i);
      if ((byte & 0x80) === 0) return BigInt.asUintN(64, result);
    }
    throw new WireError('varint longer than 10 bytes', start);
  }

  private take(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) throw new WireError(`data ends ${this.pos + n - this.buf.length} bytes early`, this.offset);
    const slice = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return slice;
  }
}

/** Reads every field of one message; a slice of a larger body passes its start as `base`. */
export function readFields(buf: Uint8Array, base = 0): Array<WireField & { offset: number }> {
  const reader = new WireReader(buf, base);
  const fields: Array<WireField & { offset: number }> = [];
  while (!reader.atEnd()) {
    const offset = reader.offset;
    fields.push({ ...reader.field(), offset });
  }
  return fields;
}

/** Whether a value is the zero value of its wire type: 0, empty, or all zero bytes. */
export function carriesNoData(value: WireValue): boolean {
  if (value.wireType === WIRE_VARINT) return value.varint === 0n;
  if (value.wireType === WIRE_LENGTH_DELIMITED) return value.bytes.length === 0;
  return value.bytes.every((b) => b === 0);
}
