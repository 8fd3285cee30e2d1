// Request bodies in Kubernetes protobuf (application/vnd.kubernetes.protobuf), as typed Go
// clients such as kubectl send them, decoded into the JSON object a JSON client would have sent.
import { errors } from '../errors.ts';
import { decodeMessage } from './decode.ts';
import { openEnvelope } from './envelope.ts';
import { KUBERNETES_SCHEMA, messageForKind } from './kinds.ts';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

/** An object as decoded from protobuf; DeleteOptions and reviews have no metadata of their own. */
export interface ProtobufObject {
  apiVersion: string;
  kind: string;
  [field: string]: unknown;
}

/**
 * Decodes one framed protobuf object. Throws ApiError 400 for a malformed body and 415 for a
 * kind this server has no protobuf definition of.
 */
export function decodeProtobufBody(body: Uint8Array): ProtobufObject {
  const { apiVersion, kind, raw } = openEnvelope(body);
  const message = messageForKind(apiVersion, kind);
  if (!message) {
    throw errors.unsupportedMediaType(`this server cannot decode ${kind} (${apiVersion}) from protobuf; send it as application/json`);
  }
  const object = decodeMessage(KUBERNETES_SCHEMA, message, raw, body) as Record<string, unknown>;
  return { apiVersion, kind, ...object };
}
