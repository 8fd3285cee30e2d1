// The Swagger 2.0 document served at /openapi/v2 (as JSON, and as protobuf for kubectl).
// Schemas are converted from the v3 dialect the way Kubernetes publishes custom resources in
// v2: what Swagger 2.0 lacks (nullable, anyOf/allOf/oneOf/not) is dropped, and what kubectl's
// v2 model builder cannot represent (typed arrays without items, properties of free-form
// objects) is loosened so that no client rejects the document.
import type { ResourceDefinition } from '../../api/resources.ts';
import type { JSONSchemaProps } from '../../api/schema.ts';
import { BEARER_TOKEN_SECURITY, buildModel, type OpenApiInfo } from './model.ts';
import { HTTP_METHODS, type OperationSpec, type ParameterSpec, type PathSpec } from './operations.ts';
import { mapChildren } from './schema-walk.ts';

export interface OpenApiV2Document {
  swagger: '2.0';
  info: { title: string; version: string };
  paths: Record<string, Record<string, unknown>>;
  definitions: Record<string, JSONSchemaProps>;
  securityDefinitions: Record<string, unknown>;
  security: Record<string, string[]>[];
}

export function buildOpenApiV2(resources: readonly ResourceDefinition[], info: OpenApiInfo): OpenApiV2Document {
  const model = buildModel(resources);
  const definitions: Record<string, JSONSchemaProps> = {};
  for (const [name, schema] of model.definitions) definitions[name] = toV2Schema(schema);
  const paths: OpenApiV2Document['paths'] = {};
  for (const [url, path] of model.paths) paths[url] = pathItem(path);
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: info.version },
    paths,
    definitions,
    securityDefinitions: { BearerToken: BEARER_TOKEN_SECURITY },
    security: [{ BearerToken: [] }],
  };
}

function pathItem(path: PathSpec): Record<string, unknown> {
  const item: Record<string, unknown> = {};
  for (const method of HTTP_METHODS) {
    const op = path.operations[method];
    if (op) item[method] = operation(op);
  }
  item.parameters = path.parameters.map(parameter);
  return item;
}

function operation(op: OperationSpec): Record<string, unknown> {
  const parameters: object[] = [];
  if (op.body) parameters.push({ name: 'body', in: 'body', required: op.body.required, schema: op.body.schema });
  parameters.push(...op.parameters.map(parameter));
  const responses: Record<string, object> = {};
  for (const [code, response] of Object.entries(op.responses)) {
    responses[code] = response.schema ? { description: response.description, schema: response.schema } : { description: response.description };
  }
  return {
    description: op.description,
    consumes: op.body?.consumes ?? ['*/*'],
    produces: op.produces,
    schemes: ['https'],
    tags: [op.tag],
    operationId: op.operationId,
    ...(parameters.length > 0 && { parameters }),
    responses,
    'x-kubernetes-action': op.action,
    'x-kubernetes-group-version-kind': { group: op.gvk.group, version: op.gvk.version, kind: op.gvk.kind },
  };
}

function parameter(p: ParameterSpec): object {
  return { name: p.name, in: p.in, type: p.type, description: p.description, ...(p.required && { required: true }) };
}

const V2_TYPES = new Set<unknown>(['object', 'array', 'string', 'integer', 'number', 'boolean']);

/** Converts a schema from the v3 dialect to what Swagger 2.0 clients (kubectl's model builder above all) accept. */
export function toV2Schema(schema: JSONSchemaProps): JSONSchemaProps {
  const out = mapChildren(schema, toV2Schema);
  delete out.allOf;
  delete out.anyOf;
  delete out.oneOf;
  delete out.not;
  delete out.nullable;
  if (out.$ref !== undefined) {
    // A reference may carry a description and extensions, but no type or structure of its own.
    delete out.type;
    delete out.properties;
    delete out.items;
    delete out.additionalProperties;
    return out;
  }
  // kubectl's model builder fails the whole document on any other type (JSON schema's "null", a list of types).
  if (out.type !== undefined && !V2_TYPES.has(out.type)) delete out.type;
  if (schema.nullable) {
    // An untyped value with structure breaks kubectl; a nullable one is published untyped.
    delete out.type;
    delete out.items;
    delete out.properties;
  }
  if (out['x-kubernetes-int-or-string'] === true) delete out.type;
  if (out['x-kubernetes-preserve-unknown-fields'] === true) {
    // kubectl would reject the fields the schema does not list.
    delete out.items;
    delete out.properties;
    if (out.type === 'object') delete out.type;
  }
  if (out.type === 'array' && out.items === undefined) delete out.type;
  if (out.required && schema.properties) {
    // A nullable field may be sent as null, which v2 clients would count as missing.
    const required = out.required.filter((field) => !schema.properties![field]?.nullable);
    if (required.length > 0) out.required = required;
    else delete out.required;
  }
  if (typeof schema.additionalProperties === 'object' && schema.additionalProperties.nullable) delete out.required;
  return out;
}
