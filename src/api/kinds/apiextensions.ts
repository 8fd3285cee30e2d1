// apiextensions.k8s.io/v1 CustomResourceDefinition. The validation schema inside a CRD is
// recursive; its top level is modelled field by field, and every nested schema position is kept
// as sent (x-kubernetes-preserve-unknown-fields), so nothing of a user's schema is pruned.
import { Type, type Static } from '@sinclair/typebox';
import type { JSONSchemaProps } from '../schema.ts';
import {
  anyValue, base64, boolean, describe, double, freeform, int32, int64, list, mapOf, object, oneOf, string, timestamp,
} from './fields.ts';
import { kindSchema } from './meta.ts';

const nestedSchema = (description: string) => freeform(description);

export const ValidationRuleSchema = object('A CEL rule a value must satisfy.', {
  rule: string('The CEL expression; self is the value, oldSelf the previous value on updates.'),
  message: string('Message returned when the rule fails.'),
  messageExpression: string('CEL expression producing the message.'),
  reason: oneOf(['FieldValueInvalid', 'FieldValueForbidden', 'FieldValueRequired', 'FieldValueDuplicate'], 'Reason returned when the rule fails.'),
  fieldPath: string('Path of the field reported on failure, relative to this schema.'),
  optionalOldSelf: boolean('Evaluate the rule on creation too, with oldSelf as an optional.'),
}, ['rule']);

const jsonSchemaPropsObject = object('An OpenAPI v3 schema, in the structural dialect Kubernetes accepts.', {
  id: string('Schema id (unused by Kubernetes).'),
  $schema: string('Meta-schema URL (unused by Kubernetes).'),
  $ref: string('Reference to another schema; not allowed in CRDs.'),
  description: string('What the value means; shown by kubectl explain.'),
  type: string('object, array, string, integer, number or boolean.'),
  format: string('Refinement of type, e.g. int32, date-time, byte, uri.'),
  title: string('Short title.'),
  default: anyValue('Value set when the field is absent.'),
  maximum: double('Largest allowed number.'),
  exclusiveMaximum: boolean('Whether maximum itself is excluded.'),
  minimum: double('Smallest allowed number.'),
  exclusiveMinimum: boolean('Whether minimum itself is excluded.'),
  maxLength: int64('Longest allowed string.'),
  minLength: int64('Shortest allowed string.'),
  pattern: string('Regular expression strings must match.'),
  maxItems: int64('Most items allowed in an array.'),
  minItems: int64('Fewest items allowed in an array.'),
  uniqueItems: boolean('Items must differ; not allowed in CRDs (use x-kubernetes-list-type: set).'),
  multipleOf: double('Numbers must be multiples of this.'),
  enum: list(anyValue('An allowed value.'), 'The allowed values.'),
  maxProperties: int64('Most properties allowed in an object.'),
  minProperties: int64('Fewest properties allowed in an object.'),
  required: list(Type.String(), 'Properties that must be present.'),
  items: anyValue('Schema of array items.'),
  allOf: list(nestedSchema('A schema.'), 'Schemas the value must all match.'),
  oneOf: list(nestedSchema('A schema.'), 'Schemas of which the value must match exactly one.'),
  anyOf: list(nestedSchema('A schema.'), 'Schemas of which the value must match at least one.'),
  not: nestedSchema('Schema the value must not match.'),
  properties: mapOf(nestedSchema('Schema of the property.'), 'Schemas of named properties.'),
  additionalProperties: anyValue('Schema of properties not named in properties, or whether they are allowed.'),
  patternProperties: mapOf(nestedSchema('Schema of matching properties.'), 'Schemas of properties whose names match a pattern; not allowed in CRDs.'),
  dependencies: mapOf(anyValue('A schema or a list of property names.'), 'Properties or schemas required when a property is present.'),
  additionalItems: anyValue('Schema of extra array items; not allowed in CRDs.'),
  definitions: mapOf(nestedSchema('A schema.'), 'Named schemas; not allowed in CRDs.'),
  externalDocs: object('A link to more documentation.', {
    description: string('Description of the link.'),
    url: string('The URL.'),
  }),
  example: anyValue('An example value.'),
  nullable: boolean('Whether null is accepted (and kept) as a value.'),
  'x-kubernetes-preserve-unknown-fields': boolean('Keep fields the schema does not name instead of pruning them.'),
  'x-kubernetes-embedded-resource': boolean('The value is an object with apiVersion, kind and metadata.'),
  'x-kubernetes-int-or-string': boolean('The value is an integer or a string.'),
  'x-kubernetes-list-map-keys': list(Type.String(), 'Item properties that identify an item of a map list.'),
  'x-kubernetes-list-type': oneOf(['atomic', 'set', 'map'], 'How server-side apply merges the list.'),
  'x-kubernetes-map-type': oneOf(['granular', 'atomic'], 'Whether server-side apply merges the object field by field or replaces it whole.'),
  'x-kubernetes-validations': list(ValidationRuleSchema, 'CEL rules the value must satisfy.', {
    listType: 'map', keys: ['rule'], patchStrategy: 'merge', patchMergeKey: 'rule',
  }),
});

/** The schema of a CRD's openAPIV3Schema; its TypeScript type is the shared JSONSchemaProps. */
export const JSONSchemaPropsSchema = Type.Unsafe<JSONSchemaProps>(jsonSchemaPropsObject);

export const CustomResourceColumnDefinitionSchema = object('An extra column of kubectl get for the custom resource.', {
  name: string('Column header.'),
  type: string('OpenAPI type of the cells: integer, number, string, boolean or date.'),
  format: string('OpenAPI format refining type.'),
  description: string('What the column shows.'),
  priority: int32('0 shows the column by default; higher numbers only in wide output.'),
  jsonPath: string('Simple JSONPath into each object, e.g. .status.phase.'),
}, ['name', 'type', 'jsonPath']);

export const SelectableFieldSchema = object('A field that field selectors may use.', {
  jsonPath: string('Simple JSONPath to a string, integer or boolean field, e.g. .spec.color.'),
}, ['jsonPath']);

export const CustomResourceSubresourcesSchema = object('Subresources the custom resource serves.', {
  status: object('Serve /status: spec and status are then written separately, and spec changes bump metadata.generation.', {}),
  scale: object('Serve /scale, for autoscalers and kubectl scale.', {
    specReplicasPath: string('JSONPath of the desired replica count, under .spec.'),
    statusReplicasPath: string('JSONPath of the observed replica count, under .status.'),
    labelSelectorPath: string('JSONPath of the serialized label selector of the replicas, under .status or .spec.'),
  }, ['specReplicasPath', 'statusReplicasPath']),
});

export const CustomResourceDefinitionVersionSchema = object('One version of the custom resource.', {
  name: string('Version name, e.g. v1alpha1; served at /apis/<group>/<name>.'),
  served: boolean('Whether the version is served.'),
  storage: boolean('Whether objects are stored in this version; exactly one version must be.'),
  deprecated: boolean('Whether clients get a deprecation warning for this version.'),
  deprecationWarning: string('The warning to send instead of the default one.'),
  schema: object('Validation of this version.', {
    openAPIV3Schema: describe(JSONSchemaPropsSchema, 'Structural schema of the whole object, used for validation, pruning and defaulting.'),
  }),
  subresources: describe(CustomResourceSubresourcesSchema, 'Subresources of this version.'),
  additionalPrinterColumns: list(CustomResourceColumnDefinitionSchema, 'Extra columns for kubectl get; the age column otherwise.'),
  selectableFields: list(SelectableFieldSchema, 'Fields usable in field selectors, beyond metadata.name and metadata.namespace.'),
}, ['name', 'served', 'storage']);

export const CustomResourceDefinitionNamesSchema = object('The names of the custom resource.', {
  plural: string('Lower-case plural used in URLs; must match the CRD\'s name (<plural>.<group>).'),
  singular: string('Lower-case singular; the lower-case kind by default.'),
  shortNames: list(Type.String(), 'Short aliases for kubectl, e.g. zk.'),
  kind: string('CamelCase kind of the objects.'),
  listKind: string('Kind of lists; <kind>List by default.'),
  categories: list(Type.String(), 'Groups the resource belongs to, e.g. all, for kubectl get <category>.'),
}, ['plural', 'kind']);

export const ServiceReferenceSchema = object('A Service, as the address of a webhook.', {
  namespace: string('Namespace of the Service.'),
  name: string('Name of the Service.'),
  path: string('URL path of the webhook.'),
  port: int32('Port of the Service; 443 by default.'),
}, ['namespace', 'name']);

export const CustomResourceConversionSchema = object('How objects are converted between versions.', {
  strategy: oneOf(['None', 'Webhook'], 'None changes only apiVersion; Webhook calls a conversion webhook.'),
  webhook: object('The conversion webhook.', {
    clientConfig: object('How to reach the webhook.', {
      url: string('URL of the webhook (https).'),
      service: describe(ServiceReferenceSchema, 'A Service in the cluster serving the webhook.'),
      caBundle: base64('PEM CA bundle to verify the webhook\'s certificate.'),
    }),
    conversionReviewVersions: list(Type.String(), 'ConversionReview versions the webhook understands, preferred first.'),
  }, ['conversionReviewVersions']),
}, ['strategy']);

export const CustomResourceDefinitionConditionSchema = object('One aspect of the state of a CRD.', {
  type: string('Established, NamesAccepted, NonStructuralSchema, Terminating or KubernetesAPIApprovalPolicyConformant.'),
  status: oneOf(['True', 'False', 'Unknown'], 'Whether the condition holds.'),
  lastTransitionTime: timestamp('When status last changed.'),
  reason: string('CamelCase reason for the last transition.'),
  message: string('Human-readable detail.'),
}, ['type', 'status']);
export type CustomResourceDefinitionCondition = Static<typeof CustomResourceDefinitionConditionSchema>;

export const CustomResourceDefinitionSpecSchema = object('Desired state of a CRD.', {
  group: string('API group of the resource, e.g. zookeeper.granary.dev.'),
  names: describe(CustomResourceDefinitionNamesSchema, 'Names of the resource and its kind.'),
  scope: oneOf(['Namespaced', 'Cluster'], 'Whether objects live in namespaces.'),
  versions: list(CustomResourceDefinitionVersionSchema, 'Served versions; the first by version priority is preferred.'),
  conversion: describe(CustomResourceConversionSchema, 'Conversion between versions.'),
  preserveUnknownFields: boolean('Deprecated; must be false in apiextensions.k8s.io/v1.'),
}, ['group', 'names', 'scope', 'versions']);
export type CustomResourceDefinitionSpec = Static<typeof CustomResourceDefinitionSpecSchema>;

export const CustomResourceDefinitionStatusSchema = object('Observed state of a CRD.', {
  conditions: list(CustomResourceDefinitionConditionSchema, 'Current conditions.', { listType: 'map', keys: ['type'] }),
  acceptedNames: describe(CustomResourceDefinitionNamesSchema, 'Names actually served; they differ from spec.names while those conflict.'),
  storedVersions: list(Type.String(), 'Versions objects have ever been stored in; a version can only be removed after migration.'),
});
export type CustomResourceDefinitionStatus = Static<typeof CustomResourceDefinitionStatusSchema>;

export const CustomResourceDefinitionSchema = kindSchema('Adds a resource, with its own kind, to the API.', {
  spec: describe(CustomResourceDefinitionSpecSchema, 'Desired state of the CRD.'),
  status: describe(CustomResourceDefinitionStatusSchema, 'Observed state of the CRD.'),
}, ['spec']);
export type CustomResourceDefinition = Static<typeof CustomResourceDefinitionSchema>;

export type CustomResourceColumnDefinition = Static<typeof CustomResourceColumnDefinitionSchema>;
export type CustomResourceDefinitionVersion = Static<typeof CustomResourceDefinitionVersionSchema>;
export type CustomResourceDefinitionNames = Static<typeof CustomResourceDefinitionNamesSchema>;
