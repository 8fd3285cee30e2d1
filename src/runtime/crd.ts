// CustomResourceDefinitions generated from TypeBox schemas: one kind schema (kindSchema of
// src/api/kinds/meta.ts) gives the static type (Static<typeof Schema>, a KubeObject), the
// structural OpenAPI v3 schema and the CRD that installs it.
import type { TSchema } from '@sinclair/typebox';
import type { CustomResourceDefinition } from '../api/kinds/apiextensions.ts';
import type { KindSchema } from '../api/kinds/meta.ts';
import type { JSONSchemaProps } from '../api/schema.ts';
import type { PrinterColumn } from '../api/resources.ts';

export interface CrdVersion {
  name: string;
  /** The kind's schema, e.g. kindSchema('A greeting.', { spec: ..., status: ... }, ['spec']). */
  schema: KindSchema;
  served?: boolean;
  storage?: boolean;
  printerColumns?: PrinterColumn[];
  /** Serve the status subresource (default true). */
  status?: boolean;
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
}

export interface CrdDefinition {
  group: string;
  kind: string;
  plural: string;
  singular?: string;
  shortNames?: string[];
  categories?: string[];
  scope?: 'Namespaced' | 'Cluster';
  versions: CrdVersion[];
}

export function customResourceDefinition(def: CrdDefinition): CustomResourceDefinition {
  const storage = def.versions.filter((v) => v.storage).length === 1 ? undefined : def.versions[0].name;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.plural}.${def.group}` },
    spec: {
      group: def.group,
      scope: def.scope ?? 'Namespaced',
      names: {
        kind: def.kind, listKind: `${def.kind}List`, plural: def.plural, singular: def.singular ?? def.kind.toLowerCase(),
        ...(def.shortNames ? { shortNames: def.shortNames } : {}), ...(def.categories ? { categories: def.categories } : {}),
      },
      versions: def.versions.map((v) => ({
        name: v.name,
        served: v.served ?? true,
        storage: v.storage ?? v.name === storage,
        schema: { openAPIV3Schema: toStructural(withoutEnvelope(v.schema)) },
        subresources: {
          ...(v.status === false ? {} : { status: {} }),
          ...(v.scale ? { scale: v.scale } : {}),
        },
        ...(v.printerColumns ? { additionalPrinterColumns: v.printerColumns } : {}),
      })),
    },
  };
}

/**
 * The kind's own fields: apiVersion, kind and metadata are the API server's to describe (a CRD may
 * say nothing about metadata but its name).
 */
function withoutEnvelope(schema: KindSchema): TSchema {
  const { apiVersion: _apiVersion, kind: _kind, metadata: _metadata, ...properties } = schema.properties;
  return { ...schema, properties };
}

/**
 * Turns TypeBox's JSON Schema into Kubernetes' structural dialect: literal unions become enums,
 * records become additionalProperties, `additionalProperties: false` and TypeBox's own markers go,
 * and the root gets `type: object`.
 */
export function toStructural(schema: TSchema | JSONSchemaProps): JSONSchemaProps {
  const out = convert(schema as Record<string, unknown>);
  out.type ??= 'object';
  return out;
}

function convert(node: Record<string, unknown>): JSONSchemaProps {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$id' || k === '$schema' || k === 'additionalProperties' && v === false) continue;
    if (k === 'properties') out.properties = Object.fromEntries(Object.entries(v as Record<string, Record<string, unknown>>).map(([p, s]) => [p, convert(s)]));
    else if (k === 'items') out.items = convert(v as Record<string, unknown>);
    else if (k === 'additionalProperties' && typeof v === 'object') out.additionalProperties = convert(v as Record<string, unknown>);
    else if (k === 'patternProperties') out.additionalProperties = convert(Object.values(v as Record<string, Record<string, unknown>>)[0]);
    else if (k === 'anyOf' || k === 'oneOf') {
      const options = v as Record<string, unknown>[];
      if (options.every((o) => 'const' in o)) {
        out.enum = options.map((o) => o.const);
        const types = new Set(options.map((o) => typeof o.const));
        if (types.size === 1) out.type = types.has('number') ? 'number' : [...types][0];
      } else {
        out[k] = options.map(convert);
      }
    } else if (k === 'const') {
      out.enum = [v];
    } else out[k] = v;
  }
  return out as JSONSchemaProps;
}
