// meta.k8s.io/v1: the metadata every object carries, the list envelope, Status, DeleteOptions,
// watch events and tables, plus the envelope every kind is built from. Each TypeScript type is
// the schema's static type; ../meta.ts gathers the generic ones (KubeObject, ObjectMeta, ...).
import { Type, type Static, type TObject, type TProperties, type TSchema, type TString } from '@sinclair/typebox';
import { anyValue, atomicObject, boolean, describe, freeform, int32, int64, list, markOptional, object, oneOf, string, stringMap, timestamp, type WithOptional } from './fields.ts';

export const OwnerReferenceSchema = atomicObject('Identifies an object this one depends on; when every owner is gone the garbage collector deletes this object.', {
  apiVersion: string('API version of the owner.'),
  kind: string('Kind of the owner.'),
  name: string('Name of the owner.'),
  uid: string('UID of the owner; a recreated owner with the same name is a different owner.'),
  controller: boolean('True when the owner is the managing controller of this object. At most one owner may be.'),
  blockOwnerDeletion: boolean('When true, foreground deletion of the owner waits until this object is gone.'),
}, ['apiVersion', 'kind', 'name', 'uid']);

export const ManagedFieldsEntrySchema = object('The set of fields one manager owns, as server-side apply tracks it.', {
  manager: string('Name of the workflow that manages these fields.'),
  operation: oneOf(['Apply', 'Update'], 'The kind of write that produced this entry.'),
  apiVersion: string('API version the fields are described in; field sets of different versions are not comparable.'),
  time: timestamp('When these fields last changed (an ownership change counts).'),
  fieldsType: oneOf(['FieldsV1'], 'Format of fieldsV1.'),
  fieldsV1: freeform('The owned fields, as a trie of field, key, value and index selectors.'),
  subresource: string('The subresource the write went through, empty for the object itself.'),
});
export type ManagedFieldsEntry = Static<typeof ManagedFieldsEntrySchema>;
export type OwnerReference = Static<typeof OwnerReferenceSchema>;

export const ObjectMetaSchema = object('Metadata every persisted object has: identity, labels, annotations, ownership and lifecycle.', {
  name: string('Unique name within the namespace (or cluster, for cluster-scoped kinds). Cannot be changed.'),
  generateName: string('Prefix from which the server generates a unique name when name is empty.'),
  namespace: string('Namespace the object lives in; empty for cluster-scoped kinds.'),
  uid: string('Unique identifier the server assigns on creation; never reused.'),
  resourceVersion: string('Opaque version of this object, changed on every write; used for optimistic concurrency and watches.'),
  generation: int64('Sequence number of changes to the desired state; the server increments it.'),
  creationTimestamp: timestamp('When the server created the object.'),
  deletionTimestamp: timestamp('When deletion was requested; the object goes once its finalizers are empty. Set by the server.'),
  deletionGracePeriodSeconds: int64('Seconds the object has to terminate gracefully before it is removed.'),
  labels: stringMap('Key/value pairs used to organise and select objects.'),
  annotations: stringMap('Key/value pairs of non-identifying information for tools and controllers.'),
  ownerReferences: list(OwnerReferenceSchema, 'Objects this one depends on.', {
    listType: 'map', keys: ['uid'], patchStrategy: 'merge', patchMergeKey: 'uid',
  }),
  finalizers: list(Type.String(), 'Names of pending cleanup steps; deletion completes only when this list is empty.', {
    listType: 'set', patchStrategy: 'merge',
  }),
  managedFields: list(ManagedFieldsEntrySchema, 'Which manager owns which fields; maintained by the server.'),
});
export type ObjectMeta = Static<typeof ObjectMetaSchema>;

export const ListMetaSchema = object('Metadata of a list response.', {
  resourceVersion: string('Version of the collection the list was read at; start a watch from here.'),
  continue: string('Token to fetch the next page; empty on the last page.'),
  remainingItemCount: int64('How many items are left after this page, when the server can tell.'),
});
export type ListMeta = Static<typeof ListMetaSchema>;

export const LabelSelectorRequirementSchema = object('A requirement on one label.', {
  key: string('The label key the requirement applies to.'),
  operator: oneOf(['In', 'NotIn', 'Exists', 'DoesNotExist'], 'How the label value relates to values.'),
  values: list(Type.String(), 'Values for In and NotIn; must be empty for Exists and DoesNotExist.'),
}, ['key', 'operator']);
export type LabelSelectorRequirement = Static<typeof LabelSelectorRequirementSchema>;

export const LabelSelectorSchema = atomicObject('Selects objects by labels. All requirements are ANDed; an empty selector matches everything.', {
  matchLabels: stringMap('Labels that must have exactly these values.'),
  matchExpressions: list(LabelSelectorRequirementSchema, 'Further requirements on labels.'),
});
export type LabelSelector = Static<typeof LabelSelectorSchema>;

/** metav1.Condition: the condition shape custom resources are expected to use. */
export const ConditionSchema = object('One aspect of the current state of an object.', {
  type: string('Type of the condition, in CamelCase (e.g. Available).'),
  status: oneOf(['True', 'False', 'Unknown'], 'Whether the condition holds.'),
  observedGeneration: int64('The metadata.generation the condition was computed from.'),
  lastTransitionTime: timestamp('When status last changed.'),
  reason: string('Machine-readable CamelCase reason for the last transition.'),
  message: string('Human-readable detail about the last transition.'),
}, ['type', 'status', 'lastTransitionTime', 'reason', 'message']);
export type Condition = Static<typeof ConditionSchema>;

export const StatusCauseSchema = object('One cause of an error, often a field that failed validation.', {
  reason: string('Machine-readable cause, e.g. FieldValueInvalid.'),
  message: string('Human-readable description of the cause.'),
  field: string('Path of the field that caused the error, e.g. spec.containers[0].name.'),
});
export type StatusCause = Static<typeof StatusCauseSchema>;

export const StatusDetailsSchema = object('Extra data about a Status, depending on its reason.', {
  name: string('Name of the object the status is about.'),
  group: string('API group of the object.'),
  kind: string('Kind of the object.'),
  uid: string('UID of the object.'),
  causes: list(StatusCauseSchema, 'The individual causes of the error.'),
  retryAfterSeconds: int32('Seconds the client should wait before retrying.'),
});
export type StatusDetails = Static<typeof StatusDetailsSchema>;

export const StatusSchema = object('The result of an operation that does not return an object, and every error.', {
  apiVersion: string('Always v1.'),
  kind: string('Always Status.'),
  metadata: describe(ListMetaSchema, 'List metadata (usually empty).'),
  status: oneOf(['Success', 'Failure'], 'Outcome of the operation.'),
  message: string('Human-readable description of the outcome.'),
  reason: string('Machine-readable CamelCase reason, e.g. NotFound or AlreadyExists.'),
  details: describe(StatusDetailsSchema, 'Extra data depending on the reason.'),
  code: int32('The HTTP status code of the response.'),
});
export type Status = Static<typeof StatusSchema>;

export const PreconditionsSchema = object('Conditions that must hold for a delete to proceed.', {
  uid: string('The object must have this UID.'),
  resourceVersion: string('The object must be at this resource version.'),
});
export type Preconditions = Static<typeof PreconditionsSchema>;

export const DeleteOptionsSchema = object('Options of a delete request, sent as its body.', {
  apiVersion: string('API version of this document.'),
  kind: string('Always DeleteOptions.'),
  gracePeriodSeconds: int64('Seconds the object gets to terminate; 0 deletes immediately.'),
  preconditions: describe(PreconditionsSchema, 'Must hold, or the delete fails with a Conflict.'),
  orphanDependents: boolean('Deprecated: use propagationPolicy. True orphans the dependents.'),
  propagationPolicy: oneOf(['Orphan', 'Background', 'Foreground'], 'What happens to dependents: orphaned, deleted afterwards, or deleted first.'),
  dryRun: list(Type.String(), 'When set to ["All"], the request is checked but nothing is stored.'),
  ignoreStoreReadErrorWithClusterBreakingPotential: boolean('Deletes an object that cannot be read from storage; dangerous.'),
});
export type DeleteOptions = Static<typeof DeleteOptionsSchema>;

export const WatchEventSchema = object('One change on a watch stream.', {
  type: oneOf(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR'], 'What happened to the object.'),
  object: freeform('The object after the change; a Status for ERROR; only metadata.resourceVersion for BOOKMARK.'),
}, ['type', 'object']);

export const TableColumnDefinitionSchema = object('One column of a Table.', {
  name: string('Column header.'),
  type: string('OpenAPI type of the cells: integer, number, string, boolean or date.'),
  format: string('OpenAPI format refining type, e.g. name.'),
  description: string('What the column shows.'),
  priority: int32('0 for columns shown by default; higher numbers only in wide output.'),
}, ['name', 'type', 'format', 'description', 'priority']);

export const TableRowSchema = object('One row of a Table.', {
  cells: list(anyValue('One cell value.'), 'Cell values, one per column definition.'),
  conditions: list(object('A condition of the row.', {
    type: string('Condition type; Completed marks rows of finished objects.'),
    status: string('True, False or Unknown.'),
    reason: string('Machine-readable reason.'),
    message: string('Human-readable detail.'),
  }, ['type', 'status']), 'Conditions of the row, for clients that highlight rows.'),
  object: freeform('The object or its PartialObjectMetadata, depending on includeObject.'),
}, ['cells']);

export const TableSchema = object('A tabular view of objects, as kubectl get prints them.', {
  apiVersion: string('meta.k8s.io/v1.'),
  kind: string('Always Table.'),
  metadata: describe(ListMetaSchema, 'List metadata of the underlying list.'),
  columnDefinitions: list(TableColumnDefinitionSchema, 'The columns, in order.'),
  rows: list(TableRowSchema, 'The rows, one per object.'),
}, ['columnDefinitions', 'rows']);
export type Table = Static<typeof TableSchema>;

/** The properties every kind has: what the object is and its metadata. */
export type KindEnvelope = {
  apiVersion: TString;
  kind: TString;
  metadata: typeof ObjectMetaSchema;
};

/** The schema of a kind, as kindSchema makes it: its static type is a KubeObject. */
export type KindSchema = TObject<KindEnvelope & TProperties>;

/**
 * The schema of a top-level kind, built-in or custom: one declaration gives the TypeScript type
 * (Static<typeof schema>, a KubeObject without further ado), the OpenAPI schema and the CRD. apiVersion, kind and metadata are optional in the schema, as
 * Kubernetes accepts writes without them, but required in the TypeScript type because every
 * object read back from the server has them (and KubeObject demands them).
 */
export function kindSchema<P extends TProperties, const R extends readonly ((keyof P & string) | 'metadata')[] = []>(
  description: string,
  properties: P,
  required?: R,
): TObject<KindEnvelope & WithOptional<P, R[number]>> {
  const schema = Type.Object({
    apiVersion: string('Versioned schema of this representation, e.g. v1 or apps/v1.'),
    kind: string('The type of object, in CamelCase.'),
    metadata: describe(ObjectMetaSchema, "The object's metadata."),
    ...markOptional(properties, (required ?? []).filter((name) => name !== 'metadata')),
  }, { description }) as TSchema;
  // Only what the caller names is required in JSON; the envelope never is.
  if (required?.length) schema.required = [...required];
  else delete schema.required;
  return schema as TObject<KindEnvelope & WithOptional<P, R[number]>>;
}

/** The schema of the list kind of a kind (e.g. PodList for Pod). */
export function kindListSchema<T extends TSchema>(item: T, description: string) {
  return object(description, {
    apiVersion: string('Versioned schema of this representation.'),
    kind: string('The list kind, e.g. PodList.'),
    metadata: describe(ListMetaSchema, 'List metadata.'),
    items: list(item, 'The objects.'),
  }, ['items']);
}

/** Any object: the envelope alone (its kind's other fields are unknown here). */
export const KubeObjectSchema = kindSchema('An object of any kind.', {});

/** A list of objects of any kind. */
export const KubeObjectListSchema = kindListSchema(KubeObjectSchema, 'A list of objects of any kind.');
