// The definitions one resource contributes: its kind and its list kind, derived from the
// resource's structural schema. Shared parts are replaced by references to the shared
// definitions, as Kubernetes publishes them: metadata becomes ObjectMeta (in custom resources
// that of the object and of embedded resources; in built-in kinds every `metadata` field, such
// as a pod template's, since all of them are ObjectMeta there), and in built-in kinds
// int-or-string fields become IntOrString.
import type { ResourceDefinition } from '../../api/resources.ts';
import type { JSONSchemaProps } from '../../api/schema.ts';
import { gvkList, isBuiltin, kindDefinitionName, listDefinitionName } from './names.ts';
import { mapChildren, ref } from './schema-walk.ts';
import {
  API_VERSION_PROPERTY, INT_OR_STRING, KIND_PROPERTY, LIST_META, LIST_METADATA_DESCRIPTION, METADATA_DESCRIPTION, OBJECT_META,
} from './shared-definitions.ts';

/** Definition name → schema, in the v3 dialect with references in `#/definitions/<name>` form. */
export function resourceDefinitions(r: ResourceDefinition): Map<string, JSONSchemaProps> {
  return new Map([
    [kindDefinitionName(r), kindSchema(r)],
    [listDefinitionName(r), listSchema(r)],
  ]);
}

function kindSchema(r: ResourceDefinition): JSONSchemaProps {
  const gvk = { 'x-kubernetes-group-version-kind': gvkList(r) };
  // Without a schema nothing is known about the fields; publishing apiVersion, kind and metadata
  // alone would make clients that validate reject every other field.
  if (!r.schema) return { type: 'object', ...gvk };
  const root = withObjectHeader(prepare(r.schema, isBuiltin(r)));
  return { ...root, type: root.type ?? 'object', ...gvk };
}

function listSchema(r: ResourceDefinition): JSONSchemaProps {
  return {
    description: `${r.listKind} is a list of ${r.kind} objects.`,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: API_VERSION_PROPERTY,
      items: { description: `The ${r.plural}.`, type: 'array', items: ref(kindDefinitionName(r)) },
      kind: KIND_PROPERTY,
      metadata: ref(LIST_META, { description: LIST_METADATA_DESCRIPTION }),
    },
    'x-kubernetes-group-version-kind': gvkList({ group: r.group, version: r.version, kind: r.listKind }),
  };
}

/**
 * apiVersion, kind and metadata first, metadata as a reference to ObjectMeta. The schema's own
 * descriptions of apiVersion and kind are kept when it has them.
 */
function withObjectHeader(schema: JSONSchemaProps): JSONSchemaProps {
  const { apiVersion, kind, metadata, ...rest } = schema.properties ?? {};
  return {
    ...schema,
    properties: {
      apiVersion: apiVersion ?? API_VERSION_PROPERTY,
      kind: kind ?? KIND_PROPERTY,
      metadata: ref(OBJECT_META, { description: metadata?.description ?? METADATA_DESCRIPTION }),
      ...rest,
    },
  };
}

/**
 * Rewrites the nested parts that have shared definitions. A `$ref` in the resource's own schema
 * is dropped: structural schemas have none, and one pointing outside this document would break
 * every client that resolves references.
 */
function prepare(schema: JSONSchemaProps, builtin: boolean): JSONSchemaProps {
  if (builtin && schema['x-kubernetes-int-or-string'] === true) return intOrStringReference(schema);
  const { $ref: _dropped, ...own } = schema;
  let out = mapChildren(own, (child) => prepare(child, builtin));
  if (out['x-kubernetes-embedded-resource'] === true) {
    out = withObjectHeader(out);
    out.required = [...new Set([...(out.required ?? []), 'apiVersion', 'kind'])];
  } else if (builtin && out.properties?.metadata) {
    const metadata = out.properties.metadata;
    out.properties = { ...out.properties, metadata: ref(OBJECT_META, { description: metadata.description ?? METADATA_DESCRIPTION }) };
  }
  return out;
}

/** A built-in int-or-string field: a reference to IntOrString, keeping its description and extensions. */
function intOrStringReference(schema: JSONSchemaProps): JSONSchemaProps {
  const siblings: JSONSchemaProps = {};
  if (schema.description) siblings.description = schema.description;
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-') && key !== 'x-kubernetes-int-or-string') siblings[key as `x-${string}`] = value;
  }
  return ref(INT_OR_STRING, siblings);
}
