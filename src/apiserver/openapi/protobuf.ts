// The protobuf form of a Swagger 2.0 document that kubectl asks /openapi/v2 for: gnostic's
// openapi.v2.Document.
// JSON values that have no message of their own (defaults, enums, examples, x-* extensions)
// travel as YAML text in `Any.yaml`; kubectl parses that text with a YAML 1.1 parser.
//
// The messages below are the part of gnostic's OpenAPIv2.proto this encoder fills; field names
// and numbers must stay as gnostic defines them (github.com/google/gnostic-models, openapiv2).
import protobuf from 'protobufjs';

const OPENAPI_V2_PROTO = `
syntax = "proto3";
package openapi.v2;

message Document {
  string swagger = 1; Info info = 2; string host = 3; string base_path = 4;
  repeated string schemes = 5; repeated string consumes = 6; repeated string produces = 7;
  Paths paths = 8; Definitions definitions = 9;
  repeated SecurityRequirement security = 12; SecurityDefinitions security_definitions = 13;
  repeated Tag tags = 14; ExternalDocs external_docs = 15; repeated NamedAny vendor_extension = 16;
}
message Info {
  string title = 1; string version = 2; string description = 3; string terms_of_service = 4;
  Contact contact = 5; License license = 6; repeated NamedAny vendor_extension = 7;
}
message Contact { string name = 1; string url = 2; string email = 3; repeated NamedAny vendor_extension = 4; }
message License { string name = 1; string url = 2; repeated NamedAny vendor_extension = 3; }
message ExternalDocs { string description = 1; string url = 2; repeated NamedAny vendor_extension = 3; }
message Tag { string name = 1; string description = 2; ExternalDocs external_docs = 3; repeated NamedAny vendor_extension = 4; }

// google.protobuf.Any value = 1 is never sent: every value here travels as YAML.
message Any { string yaml = 2; }
message NamedAny { string name = 1; Any value = 2; }

message Paths { repeated NamedAny vendor_extension = 1; repeated NamedPathItem path = 2; }
message NamedPathItem { string name = 1; PathItem value = 2; }
message PathItem {
  string _ref = 1; Operation get = 2; Operation put = 3; Operation post = 4; Operation delete = 5;
  Operation options = 6; Operation head = 7; Operation patch = 8;
  repeated ParametersItem parameters = 9; repeated NamedAny vendor_extension = 10;
}
message Operation {
  repeated string tags = 1; string summary = 2; string description = 3; ExternalDocs external_docs = 4;
  string operation_id = 5; repeated string produces = 6; repeated string consumes = 7;
  repeated ParametersItem parameters = 8; Responses responses = 9; repeated string schemes = 10;
  bool deprecated = 11; repeated SecurityRequirement security = 12; repeated NamedAny vendor_extension = 13;
}

message ParametersItem { oneof oneof { Parameter parameter = 1; JsonReference json_reference = 2; } }
message JsonReference { string _ref = 1; string description = 2; }
message Parameter { oneof oneof { BodyParameter body_parameter = 1; NonBodyParameter non_body_parameter = 2; } }
message BodyParameter {
  string description = 1; string name = 2; string in = 3; bool required = 4; Schema schema = 5;
  repeated NamedAny vendor_extension = 6;
}
message NonBodyParameter {
  oneof oneof {
    HeaderParameterSubSchema header_parameter_sub_schema = 1;
    QueryParameterSubSchema query_parameter_sub_schema = 3;
    PathParameterSubSchema path_parameter_sub_schema = 4;
  }
}
message QueryParameterSubSchema {
  bool required = 1; string in = 2; string description = 3; string name = 4; bool allow_empty_value = 5;
  string type = 6; string format = 7; PrimitivesItems items = 8; string collection_format = 9; Any default = 10;
  double maximum = 11; bool exclusive_maximum = 12; double minimum = 13; bool exclusive_minimum = 14;
  int64 max_length = 15; int64 min_length = 16; string pattern = 17; int64 max_items = 18; int64 min_items = 19;
  bool unique_items = 20; repeated Any enum = 21; double multiple_of = 22; repeated NamedAny vendor_extension = 23;
}
message PathParameterSubSchema {
  bool required = 1; string in = 2; string description = 3; string name = 4;
  string type = 5; string format = 6; PrimitivesItems items = 7; string collection_format = 8; Any default = 9;
  double maximum = 10; bool exclusive_maximum = 11; double minimum = 12; bool exclusive_minimum = 13;
  int64 max_length = 14; int64 min_length = 15; string pattern = 16; int64 max_items = 17; int64 min_items = 18;
  bool unique_items = 19; repeated Any enum = 20; double multiple_of = 21; repeated NamedAny vendor_extension = 22;
}
message HeaderParameterSubSchema {
  bool required = 1; string in = 2; string description = 3; string name = 4;
  string type = 5; string format = 6; PrimitivesItems items = 7; string collection_format = 8; Any default = 9;
  double maximum = 10; bool exclusive_maximum = 11; double minimum = 12; bool exclusive_minimum = 13;
  int64 max_length = 14; int64 min_length = 15; string pattern = 16; int64 max_items = 17; int64 min_items = 18;
  bool unique_items = 19; repeated Any enum = 20; double multiple_of = 21; repeated NamedAny vendor_extension = 22;
}
message PrimitivesItems {
  string type = 1; string format = 2; PrimitivesItems items = 3; string collection_format = 4; Any default = 5;
  double maximum = 6; bool exclusive_maximum = 7; double minimum = 8; bool exclusive_minimum = 9;
  int64 max_length = 10; int64 min_length = 11; string pattern = 12; int64 max_items = 13; int64 min_items = 14;
  bool unique_items = 15; repeated Any enum = 16; double multiple_of = 17; repeated NamedAny vendor_extension = 18;
}

message Responses { repeated NamedResponseValue response_code = 1; repeated NamedAny vendor_extension = 2; }
message NamedResponseValue { string name = 1; ResponseValue value = 2; }
message ResponseValue { oneof oneof { Response response = 1; JsonReference json_reference = 2; } }
message Response { string description = 1; SchemaItem schema = 2; repeated NamedAny vendor_extension = 5; }
message SchemaItem { oneof oneof { Schema schema = 1; } }

message Definitions { repeated NamedSchema additional_properties = 1; }
message Properties { repeated NamedSchema additional_properties = 1; }
message NamedSchema { string name = 1; Schema value = 2; }
message AdditionalPropertiesItem { oneof oneof { Schema schema = 1; bool boolean = 2; } }
message ItemsItem { repeated Schema schema = 1; }
message TypeItem { repeated string value = 1; }
message Schema {
  string _ref = 1; string format = 2; string title = 3; string description = 4; Any default = 5;
  double multiple_of = 6; double maximum = 7; bool exclusive_maximum = 8; double minimum = 9; bool exclusive_minimum = 10;
  int64 max_length = 11; int64 min_length = 12; string pattern = 13; int64 max_items = 14; int64 min_items = 15;
  bool unique_items = 16; int64 max_properties = 17; int64 min_properties = 18; repeated string required = 19;
  repeated Any enum = 20; AdditionalPropertiesItem additional_properties = 21; TypeItem type = 22; ItemsItem items = 23;
  repeated Schema all_of = 24; Properties properties = 25; string discriminator = 26; bool read_only = 27;
  ExternalDocs external_docs = 29; Any example = 30; repeated NamedAny vendor_extension = 31;
}

message SecurityDefinitions { repeated NamedSecurityDefinitionsItem additional_properties = 1; }
message NamedSecurityDefinitionsItem { string name = 1; SecurityDefinitionsItem value = 2; }
message SecurityDefinitionsItem {
  oneof oneof { BasicAuthenticationSecurity basic_authentication_security = 1; ApiKeySecurity api_key_security = 2; }
}
message BasicAuthenticationSecurity { string type = 1; string description = 2; repeated NamedAny vendor_extension = 3; }
message ApiKeySecurity { string type = 1; string name = 2; string in = 3; string description = 4; repeated NamedAny vendor_extension = 5; }
message SecurityRequirement { repeated NamedStringArray additional_properties = 1; }
message NamedStringArray { string name = 1; StringArray value = 2; }
message StringArray { repeated string value = 1; }
`;

/** The openapi.v2.Document message, for encoding and (in tests and tools) decoding. Field names are the .proto's snake_case ones. */
export const OpenApiV2DocumentType: protobuf.Type = protobuf.parse(OPENAPI_V2_PROTO, { keepCase: true }).root.lookupType('openapi.v2.Document');

/**
 * The Content-Type of the protobuf form. Clients ask for it with either this name or the older
 * `...spec.v2@v1.0+protobuf`, but the `@` makes that one invalid as a response media type:
 * kubectl's HTTP client refuses a response labelled with it.
 */
export const OPENAPI_V2_PROTOBUF_CONTENT_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/**
 * Encodes a Swagger 2.0 document (as JSON-compatible values) as gnostic's openapi.v2.Document.
 * Parts the message has no place for (form-data parameters, OAuth2 security, XML hints) are left out.
 */
export function encodeOpenApiV2Protobuf(doc: object): Uint8Array {
  if (!isObject(doc)) throw new TypeError('an OpenAPI v2 document must be a JSON object');
  return OpenApiV2DocumentType.encode(document(doc)).finish();
}

type Json = Record<string, unknown>;
type Message = Record<string, unknown>;

function document(d: Json): Message {
  return {
    swagger: str(d.swagger),
    info: isObject(d.info) ? info(d.info) : undefined,
    host: str(d.host),
    base_path: str(d.basePath),
    schemes: strings(d.schemes),
    consumes: strings(d.consumes),
    produces: strings(d.produces),
    paths: isObject(d.paths) ? paths(d.paths) : undefined,
    definitions: isObject(d.definitions) ? { additional_properties: namedSchemas(d.definitions) } : undefined,
    security: Array.isArray(d.security) ? d.security.filter(isObject).map(securityRequirement) : undefined,
    security_definitions: isObject(d.securityDefinitions) ? securityDefinitions(d.securityDefinitions) : undefined,
    tags: Array.isArray(d.tags) ? d.tags.filter(isObject).map(tag) : undefined,
    external_docs: externalDocs(d.externalDocs),
    vendor_extension: extensions(d),
  };
}

function info(i: Json): Message {
  const contact = isObject(i.contact) ? { name: str(i.contact.name), url: str(i.contact.url), email: str(i.contact.email), vendor_extension: extensions(i.contact) } : undefined;
  const license = isObject(i.license) ? { name: str(i.license.name), url: str(i.license.url), vendor_extension: extensions(i.license) } : undefined;
  return {
    title: str(i.title), version: str(i.version), description: str(i.description), terms_of_service: str(i.termsOfService),
    contact, license, vendor_extension: extensions(i),
  };
}

function paths(p: Json): Message {
  return {
    vendor_extension: extensions(p),
    path: entries(p).filter(([, value]) => isObject(value)).map(([name, value]) => ({ name: str(name), value: pathItem(value as Json) })),
  };
}

function pathItem(p: Json): Message {
  const op = (value: unknown) => (isObject(value) ? operation(value) : undefined);
  return {
    _ref: str(p.$ref),
    get: op(p.get), put: op(p.put), post: op(p.post), delete: op(p.delete), options: op(p.options), head: op(p.head), patch: op(p.patch),
    parameters: parameters(p.parameters),
    vendor_extension: extensions(p),
  };
}

function operation(o: Json): Message {
  return {
    tags: strings(o.tags),
    summary: str(o.summary),
    description: str(o.description),
    external_docs: externalDocs(o.externalDocs),
    operation_id: str(o.operationId),
    produces: strings(o.produces),
    consumes: strings(o.consumes),
    parameters: parameters(o.parameters),
    responses: isObject(o.responses) ? responses(o.responses) : undefined,
    schemes: strings(o.schemes),
    deprecated: bool(o.deprecated),
    security: Array.isArray(o.security) ? o.security.filter(isObject).map(securityRequirement) : undefined,
    vendor_extension: extensions(o),
  };
}

function parameters(list: unknown): Message[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const out: Message[] = [];
  for (const p of list) {
    if (!isObject(p)) continue;
    if (typeof p.$ref === 'string') {
      out.push({ json_reference: { _ref: str(p.$ref), description: str(p.description) } });
    } else if (p.in === 'body') {
      out.push({ parameter: { body_parameter: {
        description: str(p.description), name: str(p.name), in: str(p.in), required: bool(p.required),
        schema: isObject(p.schema) ? schema(p.schema) : undefined, vendor_extension: extensions(p),
      } } });
    } else {
      const kind = { query: 'query_parameter_sub_schema', path: 'path_parameter_sub_schema', header: 'header_parameter_sub_schema' }[String(p.in)];
      if (kind) out.push({ parameter: { non_body_parameter: { [kind]: { ...primitive(p), required: bool(p.required), in: str(p.in), description: str(p.description), name: str(p.name), allow_empty_value: bool(p.allowEmptyValue) } } } });
    }
  }
  return out;
}

/** The validation keywords non-body parameters and their items share. */
function primitive(p: Json): Message {
  return {
    type: str(p.type), format: str(p.format), items: isObject(p.items) ? primitive(p.items) : undefined,
    collection_format: str(p.collectionFormat), default: p.default === undefined ? undefined : any(p.default),
    maximum: num(p.maximum), exclusive_maximum: bool(p.exclusiveMaximum), minimum: num(p.minimum), exclusive_minimum: bool(p.exclusiveMinimum),
    max_length: int(p.maxLength), min_length: int(p.minLength), pattern: str(p.pattern), max_items: int(p.maxItems), min_items: int(p.minItems),
    unique_items: bool(p.uniqueItems), enum: Array.isArray(p.enum) ? p.enum.map(any) : undefined, multiple_of: num(p.multipleOf),
    vendor_extension: extensions(p),
  };
}

function responses(r: Json): Message {
  const codes = entries(r).filter(([code, value]) => !code.startsWith('x-') && isObject(value)) as [string, Json][];
  return {
    response_code: codes.map(([code, value]) => ({
      name: str(code),
      value: typeof value.$ref === 'string'
        ? { json_reference: { _ref: str(value.$ref), description: str(value.description) } }
        : { response: { description: str(value.description), schema: isObject(value.schema) ? { schema: schema(value.schema) } : undefined, vendor_extension: extensions(value) } },
    })),
    vendor_extension: extensions(r),
  };
}

function namedSchemas(map: Json): Message[] {
  return entries(map).filter(([, value]) => isObject(value)).map(([name, value]) => ({ name: str(name), value: schema(value as Json) }));
}

function schema(s: Json): Message {
  const items = s.items;
  const additional = s.additionalProperties;
  return {
    _ref: str(s.$ref),
    format: str(s.format),
    title: str(s.title),
    description: str(s.description),
    default: s.default === undefined ? undefined : any(s.default),
    multiple_of: num(s.multipleOf),
    maximum: num(s.maximum),
    exclusive_maximum: bool(s.exclusiveMaximum),
    minimum: num(s.minimum),
    exclusive_minimum: bool(s.exclusiveMinimum),
    max_length: int(s.maxLength),
    min_length: int(s.minLength),
    pattern: str(s.pattern),
    max_items: int(s.maxItems),
    min_items: int(s.minItems),
    unique_items: bool(s.uniqueItems),
    max_properties: int(s.maxProperties),
    min_properties: int(s.minProperties),
    required: strings(s.required),
    enum: Array.isArray(s.enum) ? s.enum.map(any) : undefined,
    additional_properties: typeof additional === 'boolean' ? { boolean: additional } : isObject(additional) ? { schema: schema(additional) } : undefined,
    type: typeof s.type === 'string' ? { value: [str(s.type)] } : Array.isArray(s.type) ? { value: strings(s.type) } : undefined,
    items: Array.isArray(items) ? { schema: items.filter(isObject).map(schema) } : isObject(items) ? { schema: [schema(items)] } : undefined,
    all_of: Array.isArray(s.allOf) ? s.allOf.filter(isObject).map(schema) : undefined,
    properties: isObject(s.properties) ? { additional_properties: namedSchemas(s.properties) } : undefined,
    discriminator: str(s.discriminator),
    read_only: bool(s.readOnly),
    external_docs: externalDocs(s.externalDocs),
    example: s.example === undefined ? undefined : any(s.example),
    vendor_extension: extensions(s),
  };
}

function securityDefinitions(defs: Json): Message {
  const items: Message[] = [];
  for (const [name, value] of entries(defs)) {
    if (!isObject(value)) continue;
    if (value.type === 'apiKey') {
      items.push({ name: str(name), value: { api_key_security: { type: 'apiKey', name: str(value.name), in: str(value.in), description: str(value.description), vendor_extension: extensions(value) } } });
    } else if (value.type === 'basic') {
      items.push({ name: str(name), value: { basic_authentication_security: { type: 'basic', description: str(value.description), vendor_extension: extensions(value) } } });
    }
  }
  return { additional_properties: items };
}

function securityRequirement(r: Json): Message {
  return { additional_properties: entries(r).map(([name, scopes]) => ({ name: str(name), value: { value: strings(scopes) ?? [] } })) };
}

function tag(t: Json): Message {
  return { name: str(t.name), description: str(t.description), external_docs: externalDocs(t.externalDocs), vendor_extension: extensions(t) };
}

function externalDocs(e: unknown): Message | undefined {
  return isObject(e) ? { description: str(e.description), url: str(e.url), vendor_extension: extensions(e) } : undefined;
}

function extensions(o: Json): Message[] {
  return entries(o).filter(([key, value]) => key.startsWith('x-') && value !== undefined).map(([name, value]) => ({ name: str(name), value: any(value) }));
}

function any(value: unknown): Message {
  return { yaml: toYamlFlow(value) };
}

/**
 * A JSON value as YAML text: JSON's syntax in flow style (a space after every `:` and `,`,
 * which YAML 1.1 parsers need), with the characters YAML does not allow unescaped in a
 * double-quoted scalar written as escapes.
 */
export function toYamlFlow(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(wellFormed(value)).replace(YAML_UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(toYamlFlow).join(', ')}]`;
  if (isObject(value)) return `{${entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => `${toYamlFlow(k)}: ${toYamlFlow(v)}`).join(', ')}}`;
  return 'null';
}

// DEL, the C1 controls (NEL among them), the Unicode line and paragraph separators and the two noncharacters.
const YAML_UNPRINTABLE = /[\u007f-\u009f\u2028\u2029\ufffe\uffff]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Protobuf strings must be valid UTF-8, which a lone surrogate cannot be encoded as. */
function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\ufffd');
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? wellFormed(v) : undefined;
}

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string').map(wellFormed) : undefined;
}

function bool(v: unknown): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function int(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : undefined;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function entries(o: Json): [string, unknown][] {
  return Object.entries(o);
}
