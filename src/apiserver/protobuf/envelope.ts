// The frame around every Kubernetes protobuf object: the magic bytes `k8s\0`, then a
// runtime.Unknown whose typeMeta names the kind and whose raw bytes are the object's message.
import { errors } from '../errors.ts';
import { readFields, WIRE_LENGTH_DELIMITED, WireError, type WireValue } from './wire.ts';

export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

export interface Envelope {
  apiVersion: string;
  kind: string;
  /** The object's message; a slice of the body. */
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

// runtime.Unknown and runtime.TypeMeta field numbers.
const UNKNOWN_TYPE_META = 1;
const UNKNOWN_RAW = 2;
const UNKNOWN_CONTENT_ENCODING = 3;
const UNKNOWN_CONTENT_TYPE = 4;
const TYPE_META_API_VERSION = 1;
const TYPE_META_KIND = 2;

export function openEnvelope(body: Uint8Array): Envelope {
  if (body.length === 0) throw errors.badRequest('the request body is empty; send a Kubernetes protobuf object');
  if (body.length < PROTOBUF_MAGIC.length || !PROTOBUF_MAGIC.equals(body.subarray(0, PROTOBUF_MAGIC.length))) {
    throw errors.badRequest('the protobuf body does not start with the Kubernetes magic bytes "k8s\\x00"; send application/vnd.kubernetes.protobuf bodies framed as a runtime.Unknown');
  }
  const unknown = lengthDelimitedFields(body.subarray(PROTOBUF_MAGIC.length), PROTOBUF_MAGIC.length, 'runtime.Unknown');
  const typeMeta = unknown.get(UNKNOWN_TYPE_META);
  const meta = typeMeta ? lengthDelimitedFields(typeMeta, typeMeta.byteOffset - body.byteOffset, 'runtime.TypeMeta') : new Map<number, Uint8Array>();
  const text = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : '');
  const envelope: Envelope = {
    apiVersion: text(meta.get(TYPE_META_API_VERSION)),
    kind: text(meta.get(TYPE_META_KIND)),
    raw: unknown.get(UNKNOWN_RAW) ?? new Uint8Array(0),
    contentEncoding: text(unknown.get(UNKNOWN_CONTENT_ENCODING)),
    contentType: text(unknown.get(UNKNOWN_CONTENT_TYPE)),
  };
  if (envelope.kind === '' || envelope.apiVersion === '') {
    throw errors.badRequest('the protobuf body does not name its kind: runtime.Unknown needs typeMeta with apiVersion and kind');
  }
  if (envelope.contentEncoding !== '') {
    throw errors.unsupportedMediaType(`the protobuf body uses content encoding "${envelope.contentEncoding}", which this server does not read; send it unencoded or as application/json`);
  }
  return envelope;
}

/** The last value of each field of a message whose fields are all length-delimited. */
function lengthDelimitedFields(bytes: Uint8Array, base: number, message: string): Map<number, Uint8Array> {
  let fields: Array<{ fieldNumber: number; value: WireValue; offset: number }>;
  try {
    fields = readFields(bytes, base);
  } catch (err) {
    if (err instanceof WireError) throw errors.badRequest(`error decoding the protobuf body (${message}, byte ${err.offset}): ${err.message}`);
    throw err;
  }
  const out = new Map<number, Uint8Array>();
  for (const { fieldNumber, value, offset } of fields) {
    if (value.wireType !== WIRE_LENGTH_DELIMITED) {
      throw errors.badRequest(`error decoding the protobuf body (${message}, byte ${offset}): field ${fieldNumber} has wire type ${value.wireType}, expected ${WIRE_LENGTH_DELIMITED}`);
    }
    out.set(fieldNumber, value.bytes);
  }
  return out;
}
