// Definitions every document shares: object and list metadata, Status, DeleteOptions, watch
// events and patch bodies from meta/v1, IntOrString, and the kinds some subresources read and
// write (autoscaling/v1 Scale, core/v1 Binding, policy/v1 Eviction, authentication/v1
// TokenRequest). Names follow Kubernetes so clients find them under the names they know.
import type { JSONSchemaProps } from '../../api/schema.ts';
import { META_V1, gvkList } from './names.ts';
import { ref } from './schema-walk.ts';

export const OBJECT_META = `${META_V1}.ObjectMeta`;
export const LIST_META = `${META_V1}.ListMeta`;
export const STATUS = `${META_V1}.Status`;
export const DELETE_OPTIONS = `${META_V1}.DeleteOptions`;
export const WATCH_EVENT = `${META_V1}.WatchEvent`;
export const PATCH = `${META_V1}.Patch`;
export const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
export const SCALE = 'io.k8s.api.autoscaling.v1.Scale';
export const BINDING = 'io.k8s.api.core.v1.Binding';
export const EVICTION = 'io.k8s.api.policy.v1.Eviction';
export const TOKEN_REQUEST = 'io.k8s.api.authentication.v1.TokenRequest';

const TIME = `${META_V1}.Time`;
const OWNER_REFERENCE = `${META_V1}.OwnerReference`;
const MANAGED_FIELDS_ENTRY = `${META_V1}.ManagedFieldsEntry`;
const FIELDS_V1 = `${META_V1}.FieldsV1`;
const STATUS_DETAILS = `${META_V1}.StatusDetails`;
const STATUS_CAUSE = `${META_V1}.StatusCause`;
const PRECONDITIONS = `${META_V1}.Preconditions`;
const RAW_EXTENSION = 'io.k8s.apimachinery.pkg.runtime.RawExtension';
const OBJECT_REFERENCE = 'io.k8s.api.core.v1.ObjectReference';
const SCALE_SPEC = 'io.k8s.api.autoscaling.v1.ScaleSpec';
const SCALE_STATUS = 'io.k8s.api.autoscaling.v1.ScaleStatus';
const TOKEN_REQUEST_SPEC = 'io.k8s.api.authentication.v1.TokenRequestSpec';
const TOKEN_REQUEST_STATUS = 'io.k8s.api.authentication.v1.TokenRequestStatus';
const BOUND_OBJECT_REFERENCE = 'io.k8s.api.authentication.v1.BoundObjectReference';

const string = (description: string): JSONSchemaProps => ({ type: 'string', description });
const int64 = (description: string): JSONSchemaProps => ({ type: 'integer', format: 'int64', description });
const int32 = (description: string): JSONSchemaProps => ({ type: 'integer', format: 'int32', description });
const boolean = (description: string): JSONSchemaProps => ({ type: 'boolean', description });

export const API_VERSION_PROPERTY = string('The version of the schema this object is written in, as group/version ("v1" for the core group). Servers convert objects between the versions they serve.');
export const KIND_PROPERTY = string('The kind of this object, in CamelCase, e.g. Pod. Servers can infer it from the URL a request goes to; it cannot be changed.');
export const METADATA_DESCRIPTION = "The object's metadata: name, namespace, labels, annotations, owners and the server-maintained fields.";
export const LIST_METADATA_DESCRIPTION = 'The metadata of the list: the resource version it was read at and the token to continue a paged read.';

/** apiVersion, kind and metadata: what every top-level object starts with. */
function objectHeader(): Record<string, JSONSchemaProps> {
  return {
    apiVersion: API_VERSION_PROPERTY,
    kind: KIND_PROPERTY,
    metadata: ref(OBJECT_META, { description: METADATA_DESCRIPTION }),
  };
}

export const SHARED_DEFINITIONS: ReadonlyMap<string, JSONSchemaProps> = new Map<string, JSONSchemaProps>([
  [OBJECT_META, {
    description: 'Metadata every persisted object carries, whether users set it or the server maintains it.',
    type: 'object',
    properties: {
      annotations: {
        description: 'Unstructured key/value data tools and extensions attach to the object. Not queryable and not used for selection.',
        type: 'object', additionalProperties: { type: 'string' },
      },
      creationTimestamp: ref(TIME, { description: 'When the server created the object. Set by the server; read-only.' }),
      deletionGracePeriodSeconds: int64('How many seconds the object has to terminate gracefully once deletion was requested. Set by the server; read-only.'),
      deletionTimestamp: ref(TIME, { description: 'When the object will be (or was asked to be) deleted. Set by the server when a deletion is requested; the object goes away once its finalizers are gone.' }),
      finalizers: {
        description: 'Names of the parties that must finish cleaning up before the object is removed from storage. Each party removes its own entry when done.',
        type: 'array', items: { type: 'string' },
        'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge',
      },
      generateName: string('A prefix the server completes with a random suffix to make a unique name, used when name is empty at creation.'),
      generation: int64('A number the server increases each time the desired state (usually spec) changes. Read-only.'),
      labels: {
        description: 'Key/value pairs used to organise and select objects (label selectors match on them).',
        type: 'object', additionalProperties: { type: 'string' },
      },
      managedFields: {
        description: 'Which field manager owns which fields, as tracked by server-side apply. Maintained by the server; clients rarely edit it.',
        type: 'array', items: ref(MANAGED_FIELDS_ENTRY), 'x-kubernetes-list-type': 'atomic',
      },
      name: string('The name of the object, unique within its namespace (or the cluster for cluster-scoped kinds). Cannot be changed.'),
      namespace: string('The namespace the object lives in. Empty for cluster-scoped kinds. Cannot be changed.'),
      ownerReferences: {
        description: 'The objects this object depends on. When all owners are gone the garbage collector deletes it; at most one owner may be the managing controller.',
        type: 'array', items: ref(OWNER_REFERENCE),
        'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['uid'],
        'x-kubernetes-patch-merge-key': 'uid', 'x-kubernetes-patch-strategy': 'merge',
      },
      resourceVersion: string('An opaque version of the object, changed by every write. Clients send it back for optimistic concurrency and to start watches; they must not interpret it.'),
      selfLink: string('Deprecated and no longer set by the server.'),
      uid: string('A value unique to this object across time, set by the server at creation. Read-only.'),
    },
  }],
  [LIST_META, {
    description: 'Metadata of a list response.',
    type: 'object',
    properties: {
      continue: string('Present when the list was limited and more items remain: pass it as the continue parameter to read the next page.'),
      remainingItemCount: int64('How many items remain after this page, when the server can tell. An estimate if the list was filtered.'),
      resourceVersion: string('The version of storage this list was read at; start a watch from it to see every later change.'),
      selfLink: string('Deprecated and no longer set by the server.'),
    },
  }],
  [TIME, { description: 'A timestamp in RFC 3339 form, with second precision.', type: 'string', format: 'date-time' }],
  [OWNER_REFERENCE, {
    description: 'Identifies an owner of an object. The owner must be in the same namespace, or cluster-scoped.',
    type: 'object', required: ['apiVersion', 'kind', 'name', 'uid'],
    properties: {
      apiVersion: string('API version of the owner.'),
      blockOwnerDeletion: boolean('When true, and the owner is deleted in the foreground, the owner is only removed from storage after this object is.'),
      controller: boolean('True when the owner is the controller that manages this object.'),
      kind: string('Kind of the owner.'),
      name: string('Name of the owner.'),
      uid: string('UID of the owner.'),
    },
    'x-kubernetes-map-type': 'atomic',
  }],
  [MANAGED_FIELDS_ENTRY, {
    description: 'The set of fields one manager owns, for one operation kind and API version.',
    type: 'object',
    properties: {
      apiVersion: string('The version of the object the field set is written in.'),
      fieldsType: string('The format of fieldsV1; always "FieldsV1".'),
      fieldsV1: ref(FIELDS_V1, { description: 'The owned fields.' }),
      manager: string('The name of the manager that owns the fields.'),
      operation: string('"Apply" or "Update": the kind of write that took ownership.'),
      subresource: string('The subresource the write went to, empty for the main resource.'),
      time: ref(TIME, { description: 'When the fields last changed hands or values.' }),
    },
  }],
  [FIELDS_V1, { description: 'A set of field paths in the trie encoding server-side apply uses.', type: 'object' }],
  [STATUS, {
    description: 'The result of an operation that does not return an object, and the body of every error.',
    type: 'object',
    properties: {
      apiVersion: API_VERSION_PROPERTY,
      code: int32('The HTTP status code of the response.'),
      details: ref(STATUS_DETAILS, { description: 'More data about the failure, depending on the reason.' }),
      kind: KIND_PROPERTY,
      message: string('A human-readable description of the outcome.'),
      metadata: ref(LIST_META, { description: LIST_METADATA_DESCRIPTION }),
      reason: string('A machine-readable reason for a failure, in CamelCase (e.g. NotFound, AlreadyExists, Conflict).'),
      status: string('"Success" or "Failure".'),
    },
    'x-kubernetes-group-version-kind': gvkList({ group: '', version: 'v1', kind: 'Status' }),
  }],
  [STATUS_DETAILS, {
    description: 'Details of a failure: the object concerned and, for invalid requests, each offending field.',
    type: 'object',
    properties: {
      causes: { description: 'The individual problems that led to the failure.', type: 'array', items: ref(STATUS_CAUSE), 'x-kubernetes-list-type': 'atomic' },
      group: string('The API group of the object concerned.'),
      kind: string('The kind of the object concerned.'),
      name: string('The name of the object concerned.'),
      retryAfterSeconds: int32('How long the client should wait before retrying, when the failure is temporary.'),
      uid: string('The UID of the object concerned.'),
    },
  }],
  [STATUS_CAUSE, {
    description: 'One problem behind a failure.',
    type: 'object',
    properties: {
      field: string('The path of the offending field, e.g. spec.containers[0].name.'),
      message: string('A human-readable description of the problem.'),
      reason: string('A machine-readable description of the problem, e.g. FieldValueRequired.'),
    },
  }],
  [DELETE_OPTIONS, {
    description: 'Options of a delete request.',
    type: 'object',
    properties: {
      apiVersion: API_VERSION_PROPERTY,
      dryRun: { description: 'When "All", the deletion is checked but not carried out.', type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'atomic' },
      gracePeriodSeconds: int64('Seconds the object has to terminate before it is removed; 0 means at once. Defaults to the kind\'s own grace period.'),
      kind: KIND_PROPERTY,
      orphanDependents: boolean('Deprecated; use propagationPolicy. When true, dependents are orphaned rather than deleted.'),
      preconditions: ref(PRECONDITIONS, { description: 'Conditions the object must meet for the deletion to proceed.' }),
      propagationPolicy: string('What happens to dependents: "Orphan" keeps them, "Background" deletes them after the owner, "Foreground" deletes them before the owner.'),
    },
  }],
  [PRECONDITIONS, {
    description: 'Conditions an object must meet before an operation proceeds.',
    type: 'object',
    properties: {
      resourceVersion: string('The resourceVersion the object must have.'),
      uid: string('The UID the object must have.'),
    },
  }],
  [WATCH_EVENT, {
    description: 'One change seen by a watch.',
    type: 'object', required: ['type', 'object'],
    properties: {
      object: ref(RAW_EXTENSION, { description: 'The object after the change (ADDED, MODIFIED), before it (DELETED), a bookmark carrying only a resourceVersion (BOOKMARK), or a Status (ERROR).' }),
      type: string('ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.'),
    },
  }],
  [RAW_EXTENSION, { description: 'An embedded object of any kind, kept as it was sent.', type: 'object' }],
  [PATCH, { description: 'The body of a PATCH request; its format is given by the Content-Type header.', type: 'object' }],
  [INT_OR_STRING, { description: 'A value that is either an integer or a string, e.g. a port number or a port name.', type: 'string', format: 'int-or-string' }],
  [SCALE, {
    description: 'The replica count of a scalable resource, read and written through its scale subresource.',
    type: 'object',
    properties: {
      ...objectHeader(),
      spec: ref(SCALE_SPEC, { description: 'The desired number of replicas.' }),
      status: ref(SCALE_STATUS, { description: 'The observed number of replicas.' }),
    },
    'x-kubernetes-group-version-kind': gvkList({ group: 'autoscaling', version: 'v1', kind: 'Scale' }),
  }],
  [SCALE_SPEC, { description: 'The desired scale.', type: 'object', properties: { replicas: int32('The desired number of replicas.') } }],
  [SCALE_STATUS, {
    description: 'The observed scale.', type: 'object', required: ['replicas'],
    properties: {
      replicas: int32('The number of replicas observed.'),
      selector: string('The label selector, in string form, that matches the replicas.'),
    },
  }],
  [BINDING, {
    description: 'Binds an object to another, e.g. a pod to the node that runs it.',
    type: 'object', required: ['target'],
    properties: { ...objectHeader(), target: ref(OBJECT_REFERENCE, { description: 'The object to bind to.' }) },
    'x-kubernetes-group-version-kind': gvkList({ group: '', version: 'v1', kind: 'Binding' }),
  }],
  [OBJECT_REFERENCE, {
    description: 'A reference to an object, possibly to one field of it.',
    type: 'object',
    properties: {
      apiVersion: string('API version of the referent.'),
      fieldPath: string('A field within the referent, e.g. spec.containers{name}.'),
      kind: string('Kind of the referent.'),
      name: string('Name of the referent.'),
      namespace: string('Namespace of the referent.'),
      resourceVersion: string('The resourceVersion of the referent the reference was made at.'),
      uid: string('UID of the referent.'),
    },
    'x-kubernetes-map-type': 'atomic',
  }],
  [EVICTION, {
    description: 'Asks for a pod to be evicted, subject to its disruption budgets.',
    type: 'object',
    properties: { ...objectHeader(), deleteOptions: ref(DELETE_OPTIONS, { description: 'How the pod is deleted.' }) },
    'x-kubernetes-group-version-kind': gvkList({ group: 'policy', version: 'v1', kind: 'Eviction' }),
  }],
  [TOKEN_REQUEST, {
    description: 'Asks for a token for a service account.',
    type: 'object', required: ['spec'],
    properties: {
      ...objectHeader(),
      spec: ref(TOKEN_REQUEST_SPEC, { description: 'The token wanted.' }),
      status: ref(TOKEN_REQUEST_STATUS, { description: 'The token issued.' }),
    },
    'x-kubernetes-group-version-kind': gvkList({ group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }),
  }],
  [TOKEN_REQUEST_SPEC, {
    description: 'The token wanted.', type: 'object', required: ['audiences'],
    properties: {
      audiences: { description: 'Who the token is meant for.', type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'atomic' },
      boundObjectRef: ref(BOUND_OBJECT_REFERENCE, { description: 'An object the token is bound to; the token stops being valid when it is deleted.' }),
      expirationSeconds: int64('How long the token should be valid.'),
    },
  }],
  [TOKEN_REQUEST_STATUS, {
    description: 'The token issued.', type: 'object', required: ['token', 'expirationTimestamp'],
    properties: {
      expirationTimestamp: ref(TIME, { description: 'When the token expires.' }),
      token: string('The token.'),
    },
  }],
  [BOUND_OBJECT_REFERENCE, {
    description: 'A reference to the object a token is bound to.',
    type: 'object',
    properties: {
      apiVersion: string('API version of the referent.'),
      kind: string('Kind of the referent: Pod, Secret or Node.'),
      name: string('Name of the referent.'),
      uid: string('UID of the referent.'),
    },
  }],
]);
