// The OpenAPI 3.0 documents served under /openapi/v3: one per group-version, each with the paths
// of that group-version and every schema they reach, and the index that lists them with the
// hash of their content. Clients cache a document by its URL, so the hash in the URL changes
// exactly when the document does.
import type { ResourceDefinition } from '../../api/resources.ts';
import type { JSONSchemaProps } from '../../api/schema.ts';
import { contentHash } from './hash.ts';
import { BEARER_TOKEN_SECURITY, buildModel, type OpenApiInfo } from './model.ts';
import { HTTP_METHODS, type OperationSpec, type ParameterSpec, type PathSpec } from './operations.ts';
import { DEFINITIONS, mapChildren } from './schema-walk.ts';

const COMPONENTS = '#/components/schemas/';

export interface OpenApiV3Index {
  paths: Record<string, { serverRelativeURL: string }>;
}

export interface OpenApiV3Document {
  body: string;
  /** sha512 of the body, upper-case hex: the `hash` of its URL and its ETag. */
  hash: string;
}

export interface OpenApiV3 {
  index: OpenApiV3Index;
  /** Keyed by "api/v1" or "apis/<group>/<version>". */
  documents: Map<string, OpenApiV3Document>;
}

/** "api/v1" for the core group, "apis/<group>/<version>" for the others: the key of a group-version in the index. */
export function groupVersionPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

export function buildOpenApiV3(resources: readonly ResourceDefinition[], info: OpenApiInfo): OpenApiV3 {
  const byGroupVersion = new Map<string, ResourceDefinition[]>();
  for (const r of resources) {
    const key = groupVersionPath(r.group, r.version);
    byGroupVersion.set(key, [...(byGroupVersion.get(key) ?? []), r]);
  }
  const documents = new Map<string, OpenApiV3Document>();
  for (const key of [...byGroupVersion.keys()].sort()) {
    documents.set(key, buildGroupVersionDocument(byGroupVersion.get(key)!, info));
  }
  return { index: buildIndex(documents), documents };
}

export function buildIndex(documents: ReadonlyMap<string, OpenApiV3Document>): OpenApiV3Index {
  const paths: OpenApiV3Index['paths'] = {};
  for (const key of [...documents.keys()].sort()) {
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${documents.get(key)!.hash}` };
  }
  return { paths };
}

/** The document of one group-version; every resource given must belong to it. */
export function buildGroupVersionDocument(resources: readonly ResourceDefinition[], info: OpenApiInfo): OpenApiV3Document {
  const model = buildModel(resources);
  const schemas: Record<string, JSONSchemaProps> = {};
  for (const [name, schema] of model.definitions) schemas[name] = toV3Schema(schema);
  const paths: Record<string, object> = {};
  for (const [url, path] of model.paths) paths[url] = pathItem(path);
  const body = JSON.stringify({
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: info.version },
    paths,
    components: { schemas, securitySchemes: { BearerToken: BEARER_TOKEN_SECURITY } },
  });
  return { body, hash: contentHash(body) };
}

function pathItem(path: PathSpec): object {
  const item: Record<string, unknown> = {};
  for (const method of HTTP_METHODS) {
    const op = path.operations[method];
    if (op) item[method] = operation(op);
  }
  item.parameters = path.parameters.map(parameter);
  return item;
}

function operation(op: OperationSpec): object {
  const responses: Record<string, object> = {};
  for (const [code, response] of Object.entries(op.responses)) {
    responses[code] = response.schema
      ? { description: response.description, content: content(op.produces, toV3Schema(response.schema)) }
      : { description: response.description };
  }
  return {
    tags: [op.tag],
    description: op.description,
    operationId: op.operationId,
    ...(op.parameters.length > 0 && { parameters: op.parameters.map(parameter) }),
    ...(op.body && {
      requestBody: { content: content(op.body.consumes, toV3Schema(op.body.schema)), ...(op.body.required && { required: true }) },
    }),
    responses,
    'x-kubernetes-action': op.action,
    'x-kubernetes-group-version-kind': { group: op.gvk.group, version: op.gvk.version, kind: op.gvk.kind },
  };
}

function content(mediaTypes: readonly string[], schema: JSONSchemaProps): Record<string, { schema: JSONSchemaProps }> {
  const out: Record<string, { schema: JSONSchemaProps }> = {};
  for (const mediaType of mediaTypes) out[mediaType] = { schema };
  return out;
}

function parameter(p: ParameterSpec): object {
  return { name: p.name, in: p.in, description: p.description, ...(p.required && { required: true }), schema: { type: p.type } };
}

/**
 * References point into components, and one with siblings (a description, extensions) is
 * wrapped in allOf, since OpenAPI 3.0 ignores whatever sits beside a `$ref`. An int-or-string
 * field says so with anyOf, as Kubernetes publishes custom resources.
 */
export function toV3Schema(schema: JSONSchemaProps): JSONSchemaProps {
  const out = mapChildren(schema, toV3Schema);
  if (typeof out.$ref === 'string') {
    const { $ref, ...siblings } = out;
    const target = $ref.startsWith(DEFINITIONS) ? `${COMPONENTS}${$ref.slice(DEFINITIONS.length)}` : $ref;
    return Object.keys(siblings).length === 0 ? { $ref: target } : { ...siblings, allOf: [{ $ref: target }] };
  }
  if (out['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    if (!out.anyOf && !out.oneOf && !out.allOf) out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  return out;
}
