// The version-neutral model both OpenAPI renderers (v2 and v3) draw from: the definitions and
// the paths of a set of resources, plus every shared definition they reach.
//
// What real kubectl (1.27 to 1.33) needs from these documents, and so what the model guarantees:
// - Field validation (create, apply, edit, replace): kubectl always sends fieldValidation
//   (Strict by default) but trusts the server to honour it only when the PATCH operation of the
//   object's group-version-kind lists a `fieldValidation` query parameter. It looks in the
//   group-version's v3 document first (the operation's x-kubernetes-group-version-kind is a
//   single {group, version, kind} object; parameters inline on the operation), then in the v2
//   protobuf document (the first path whose PATCH has that kind decides). Paths are walked in
//   map order, so every PATCH of a kind, subresources included, must carry the parameter.
//   Otherwise kubectl also validates on the client against the v2 schemas, rejecting any field
//   a published schema lacks. kubectl before 1.29 downloads the v2 document for that validator
//   up front whatever it decides.
// - Client-side apply: for a kind whose PATCH operation consumes
//   application/strategic-merge-patch+json, kubectl 1.29+ computes a strategic merge patch from
//   the v3 document: it finds the components schema whose x-kubernetes-group-version-kind list
//   holds the kind and follows properties, `items` and references (`allOf[0]`, then `$ref`),
//   reading x-kubernetes-patch-strategy and x-kubernetes-patch-merge-key on the property
//   schemas. A property missing from a schema fails the computation (kubectl warns and retries
//   with v2). Earlier kubectl uses the v2 protobuf document only, the same way. Without
//   strategic merge patch in `consumes` (custom resources) kubectl sends a JSON merge patch.
// - The v2 protobuf document must parse with kube-openapi's model builder, or kubectl discards
//   all of it: a `$ref` may not sit beside `type` or `properties`, it must point into
//   #/definitions and resolve, and an array must have exactly one `items` schema.
// - kubectl explain (v3 by default since 1.27): finds the kind from the x-kubernetes-group-version-kind
//   of any operation on the resource's collection or item path, then the components schema whose
//   list holds an identical object; types of referenced fields are shown by definition name.
import type { ResourceDefinition } from '../../api/resources.ts';
import type { JSONSchemaProps } from '../../api/schema.ts';
import { resourceDefinitions } from './definitions.ts';
import { HTTP_METHODS, resourcePaths, type PathSpec } from './operations.ts';
import { collectReferences } from './schema-walk.ts';
import { SHARED_DEFINITIONS } from './shared-definitions.ts';

export interface OpenApiInfo {
  /** The Kubernetes version the server speaks, e.g. v1.33.0. */
  version: string;
}

/** The one authentication scheme documents declare: a bearer token in the Authorization header. */
export const BEARER_TOKEN_SECURITY = { type: 'apiKey', description: 'Bearer token authentication', name: 'authorization', in: 'header' } as const;

export interface ApiModel {
  /** Sorted by name. */
  definitions: Map<string, JSONSchemaProps>;
  /** Sorted by URL. */
  paths: Map<string, PathSpec>;
}

interface ResourceFragment {
  definitions: Map<string, JSONSchemaProps>;
  paths: Map<string, PathSpec>;
}

// Resource definitions are replaced, never changed in place, when a CRD changes: keyed by
// identity, a rebuild only derives the fragments of the definitions that are new.
const fragments = new WeakMap<ResourceDefinition, ResourceFragment>();

function fragment(r: ResourceDefinition): ResourceFragment {
  let f = fragments.get(r);
  if (!f) {
    f = { definitions: resourceDefinitions(r), paths: resourcePaths(r) };
    fragments.set(r, f);
  }
  return f;
}

export function buildModel(resources: readonly ResourceDefinition[]): ApiModel {
  const own = new Map<string, JSONSchemaProps>();
  const paths = new Map<string, PathSpec>();
  for (const r of resources) {
    const f = fragment(r);
    for (const [name, schema] of f.definitions) own.set(name, schema);
    for (const [url, path] of f.paths) paths.set(url, path);
  }

  // A resource's own definition wins over a shared one of the same name (e.g. a served core/v1 Binding).
  const definitions = new Map(own);
  const pending = [...own.values()];
  for (const path of paths.values()) {
    for (const method of HTTP_METHODS) {
      const op = path.operations[method];
      if (!op) continue;
      if (op.body) pending.push(op.body.schema);
      for (const response of Object.values(op.responses)) if (response.schema) pending.push(response.schema);
    }
  }
  while (pending.length > 0) {
    for (const name of collectReferences(pending.pop()!, new Set())) {
      if (definitions.has(name)) continue;
      const shared = SHARED_DEFINITIONS.get(name);
      if (!shared) throw new Error(`OpenAPI model refers to an unknown definition ${name}`);
      definitions.set(name, shared);
      pending.push(shared);
    }
  }
  return { definitions: sortedMap(definitions), paths: sortedMap(paths) };
}

function sortedMap<V>(map: Map<string, V>): Map<string, V> {
  return new Map([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
