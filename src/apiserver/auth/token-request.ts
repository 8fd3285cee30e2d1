// POST serviceaccounts/{name}/token: the TokenRequest subresource (authentication.k8s.io/v1), which
// `kubectl create token` uses. spec.audiences defaults to the server's own audiences,
// spec.expirationSeconds to one hour (at least ten minutes, at most 2^32 seconds, as Kubernetes);
// spec.boundObjectRef may tie the token to a Pod, Secret or Node, which revokes it when that object goes.
import type { KubeObject } from '../../api/meta.ts';
import { errors, fieldCause } from '../errors.ts';
import { sendJson } from '../http/codec.ts';
import type { SubresourceHandler } from '../http/handler.ts';
import { timestamp } from '../registry/store.ts';
import { BINDABLE_KINDS, type BindableKind, type BoundObject, type ObjectLookup, type ServiceAccountTokens } from './service-account-tokens.ts';

const API_VERSION = 'authentication.k8s.io/v1';
const DEFAULT_EXPIRATION_SECONDS = 3600;
const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;

export interface TokenRequestOptions {
  /** Shortest lifetime accepted; Kubernetes' ten minutes unless a test needs tokens that expire sooner. */
  minExpirationSeconds?: number;
}

type TokenRequestBody = {
  apiVersion?: unknown;
  kind?: unknown;
  spec?: { audiences?: unknown; expirationSeconds?: unknown; boundObjectRef?: unknown };
};

export function tokenRequestHandler(tokens: ServiceAccountTokens, lookup: ObjectLookup, opts: TokenRequestOptions = {}): SubresourceHandler {
  const minimum = opts.minExpirationSeconds ?? MIN_EXPIRATION_SECONDS;
  return async ({ req, res, info, store, body }) => {
    if (req.method !== 'POST') throw errors.methodNotAllowed('serviceaccounts/token accepts POST (a TokenRequest) only');
    const namespace = info.namespace!;
    const name = info.name!;
    const serviceAccount = store.get(namespace, name);
    if (serviceAccount.metadata.deletionTimestamp) throw errors.conflict('serviceaccounts', '', name, 'the ServiceAccount is being deleted');
    const request = await body();
    if (typeof request !== 'object' || request === null || Array.isArray(request)) throw errors.badRequest('the request body must be a TokenRequest object');
    const { apiVersion, kind, spec = {} } = request as TokenRequestBody;
    if (kind !== undefined && kind !== 'TokenRequest') throw errors.badRequest(`the kind in the data (${String(kind)}) does not match the expected kind (TokenRequest)`);
    if (apiVersion !== undefined && apiVersion !== API_VERSION) throw errors.badRequest(`the API version in the data (${String(apiVersion)}) does not match the expected API version (${API_VERSION})`);

    const invalid = (field: string, message: string) =>
      errors.invalid({ group: 'authentication.k8s.io', kind: 'TokenRequest', name }, [fieldCause('FieldValueInvalid', field, message)]);
    const audiences = spec.audiences ?? [];
    if (!Array.isArray(audiences) || !audiences.every((a) => typeof a === 'string' && a.length > 0)) {
      throw invalid('spec.audiences', 'Invalid value: must be a list of non-empty strings');
    }
    const expirationSeconds = spec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
    if (!Number.isSafeInteger(expirationSeconds)) throw invalid('spec.expirationSeconds', `Invalid value: ${JSON.stringify(expirationSeconds)}: must be a whole number of seconds`);
    const seconds = expirationSeconds as number;
    if (seconds < minimum) {
      const floor = minimum === MIN_EXPIRATION_SECONDS ? '10 minutes' : `${minimum} seconds`;
      throw invalid('spec.expirationSeconds', `Invalid value: ${seconds}: may not specify a duration less than ${floor}`);
    }
    if (seconds > MAX_EXPIRATION_SECONDS) throw invalid('spec.expirationSeconds', `Invalid value: ${seconds}: may not specify a duration larger than 2^32 seconds`);
    const boundObject = spec.boundObjectRef === undefined || spec.boundObjectRef === null ? undefined : boundTo(spec.boundObjectRef, namespace, lookup, invalid);

    const grant = { namespace, name, uid: serviceAccount.metadata.uid!, audiences: audiences.length > 0 ? audiences as string[] : tokens.apiAudiences, expirationSeconds: seconds, boundObject };
    const issued = tokens.issue(grant);
    sendJson(res, 201, {
      apiVersion: API_VERSION,
      kind: 'TokenRequest',
      metadata: { name, namespace, creationTimestamp: timestamp() },
      spec: {
        audiences: grant.audiences,
        expirationSeconds: seconds,
        boundObjectRef: boundObject ? { kind: boundObject.kind, apiVersion: 'v1', name: boundObject.name, uid: boundObject.uid } : null,
      },
      status: { token: issued.token, expirationTimestamp: timestamp(issued.expiresAt) },
    });
  };
}

/** The object a token is to be bound to, which must exist (with the given uid, if any). */
function boundTo(value: unknown, namespace: string, lookup: ObjectLookup, invalid: (field: string, message: string) => Error): BoundObject {
  const ref = value as { kind?: unknown; apiVersion?: unknown; name?: unknown; uid?: unknown };
  if (typeof ref !== 'object' || Array.isArray(ref)) throw invalid('spec.boundObjectRef', 'Invalid value: must be an object');
  if (!BINDABLE_KINDS.includes(ref.kind as BindableKind)) {
    throw invalid('spec.boundObjectRef.kind', `Unsupported value: ${JSON.stringify(ref.kind)}: supported values: ${BINDABLE_KINDS.map((k) => `"${k}"`).join(', ')}`);
  }
  if (ref.apiVersion !== undefined && ref.apiVersion !== '' && ref.apiVersion !== 'v1') {
    throw invalid('spec.boundObjectRef.apiVersion', `Unsupported value: ${JSON.stringify(ref.apiVersion)}: supported values: "v1"`);
  }
  if (typeof ref.name !== 'string' || ref.name === '') throw invalid('spec.boundObjectRef.name', 'Required value');
  const kind = ref.kind as BindableKind;
  const target: KubeObject | undefined = lookup(kind, kind === 'Node' ? undefined : namespace, ref.name);
  const plural = `${kind.toLowerCase()}s`;
  if (!target) throw errors.notFound(plural, '', ref.name);
  if (typeof ref.uid === 'string' && ref.uid !== '' && ref.uid !== target.metadata.uid) {
    throw errors.conflict(plural, '', ref.name, `the UID in the bound object reference (${ref.uid}) does not match the UID in record (${target.metadata.uid})`);
  }
  return { kind, name: ref.name, uid: target.metadata.uid! };
}
