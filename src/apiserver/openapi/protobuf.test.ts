import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { encodeOpenApiV2Protobuf, OpenApiV2DocumentType, toYamlFlow } from './protobuf.ts';
import { ALL_FIXTURES } from './test-fixtures.ts';
import { buildOpenApiV2 } from './v2.ts';

// Decoded messages as plain objects, field names as in the .proto.
type Msg = Record<string, any>;

function decode(bytes: Uint8Array): Msg {
  return OpenApiV2DocumentType.toObject(OpenApiV2DocumentType.decode(bytes), { defaults: false }) as Msg;
}

/** kubectl reads Any.yaml with a YAML 1.1 parser; so does this. */
function yamlValue(any: Msg): unknown {
  return parseYaml(any.yaml, { version: '1.1' });
}

function extension(owner: Msg, name: string): unknown {
  const found = (owner.vendor_extension as Msg[] | undefined)?.find((e) => e.name === name);
  assert.ok(found, `no extension ${name}`);
  return yamlValue(found.value);
}

function named(list: Msg[], name: string): Msg {
  const found = list.find((e) => e.name === name);
  assert.ok(found, `no entry ${name}`);
  return found.value;
}

const json = buildOpenApiV2(ALL_FIXTURES, { version: 'v1.33.0' });
const decoded = decode(encodeOpenApiV2Protobuf(json));
const definitions = decoded.definitions.additional_properties as Msg[];
const paths = decoded.paths.path as Msg[];

describe('encodeOpenApiV2Protobuf', () => {
  test('keeps the document header, every definition and every path, in order', () => {
    assert.equal(decoded.swagger, '2.0');
    assert.deepEqual(decoded.info, { title: 'Kubernetes', version: 'v1.33.0' });
    assert.deepEqual(definitions.map((d) => d.name), Object.keys(json.definitions));
    assert.deepEqual(paths.map((p) => p.name), Object.keys(json.paths));
    const bearer = named(decoded.security_definitions.additional_properties, 'BearerToken');
    assert.deepEqual(bearer.api_key_security, { type: 'apiKey', name: 'authorization', in: 'header', description: 'Bearer token authentication' });
    assert.deepEqual(decoded.security, [{ additional_properties: [{ name: 'BearerToken', value: {} }] }]);
  });

  test('kind definitions keep x-kubernetes-group-version-kind as YAML kubectl reads', () => {
    const pod = named(definitions, 'io.k8s.api.core.v1.Pod');
    assert.deepEqual(pod.type, { value: ['object'] });
    assert.deepEqual(extension(pod, 'x-kubernetes-group-version-kind'), [{ group: '', version: 'v1', kind: 'Pod' }]);
    const properties = pod.properties.additional_properties as Msg[];
    assert.deepEqual(properties.map((p) => p.name), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    assert.deepEqual(named(properties, 'metadata'), { _ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', description: 'Pod metadata.' });
  });

  test('patch strategies and list types of nested fields survive', () => {
    const spec = named(named(definitions, 'io.k8s.api.core.v1.Pod').properties.additional_properties, 'spec');
    const containers = named(spec.properties.additional_properties, 'containers');
    assert.deepEqual(containers.type, { value: ['array'] });
    assert.equal(extension(containers, 'x-kubernetes-patch-merge-key'), 'name');
    assert.equal(extension(containers, 'x-kubernetes-patch-strategy'), 'merge');
    assert.deepEqual(extension(containers, 'x-kubernetes-list-map-keys'), ['name']);
    assert.equal(containers.items.schema.length, 1);
    assert.deepEqual(containers.items.schema[0].required, ['name']);
    const owners = named(named(definitions, 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta').properties.additional_properties, 'ownerReferences');
    assert.equal(extension(owners, 'x-kubernetes-patch-merge-key'), 'uid');
    const labels = named(named(definitions, 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta').properties.additional_properties, 'labels');
    assert.deepEqual(labels.additional_properties, { schema: { type: { value: ['string'] } } });
  });

  test('defaults, enums, bounds and validation rules travel as values', () => {
    const spec = named(named(definitions, 'dev.granary.zookeeper.v1alpha1.ZookeeperCluster').properties.additional_properties, 'spec');
    const props = spec.properties.additional_properties as Msg[];
    const replicas = named(props, 'replicas');
    assert.equal(yamlValue(replicas.default), 3);
    assert.equal(replicas.minimum, 1);
    const mode = named(props, 'mode');
    assert.deepEqual(mode.enum.map(yamlValue), ['standalone', 'replicated']);
    assert.deepEqual(extension(mode, 'x-kubernetes-validations'), [{ rule: 'self != ""', message: 'mode must not be empty' }]);
    assert.equal(extension(named(props, 'clientPort'), 'x-kubernetes-int-or-string'), true);
  });

  test('operations keep their parameters, media types, responses and Kubernetes extensions', () => {
    const item = named(paths, '/api/v1/namespaces/{namespace}/pods/{name}');
    const patch = item.patch;
    assert.equal(patch.operation_id, 'patchCoreV1NamespacedPod');
    assert.ok(patch.consumes.includes('application/strategic-merge-patch+json'));
    assert.equal(extension(patch, 'x-kubernetes-action'), 'patch');
    assert.deepEqual(extension(patch, 'x-kubernetes-group-version-kind'), { group: '', version: 'v1', kind: 'Pod' });
    const [body, ...rest] = patch.parameters as Msg[];
    assert.deepEqual(body.parameter.body_parameter.schema, { _ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch' });
    const query = rest.map((p) => p.parameter.non_body_parameter.query_parameter_sub_schema);
    assert.deepEqual(query.map((q) => q.name), ['dryRun', 'fieldManager', 'fieldValidation', 'force']);
    assert.deepEqual(query.map((q) => q.type), ['string', 'string', 'string', 'boolean']);
    const responses = patch.responses.response_code as Msg[];
    assert.deepEqual(responses.map((r) => r.name), ['200', '201', '401']);
    assert.deepEqual(named(responses, '200').response.schema, { schema: { _ref: '#/definitions/io.k8s.api.core.v1.Pod' } });
    assert.deepEqual(named(responses, '401').response, { description: 'Unauthorized' });
    const pathParameters = (item.parameters as Msg[]).map((p) => p.parameter.non_body_parameter);
    assert.equal(pathParameters[0].path_parameter_sub_schema.name, 'name');
    assert.equal(pathParameters[0].path_parameter_sub_schema.required, true);
    assert.equal(pathParameters[2].query_parameter_sub_schema.name, 'pretty');
  });

  test('encodes the Swagger 2.0 forms this server does not produce itself', () => {
    const doc = {
      swagger: '2.0', basePath: '/v1', info: { title: 't', version: '1', license: { name: 'Apache-2.0' } },
      securityDefinitions: { basic: { type: 'basic' } },
      paths: {
        '/things': {
          get: {
            parameters: [{ $ref: '#/parameters/limit' }, { name: 'X-Trace', in: 'header', type: 'string' }, { name: 'ids', in: 'query', type: 'array', items: { type: 'integer' } }],
            responses: { 200: { $ref: '#/responses/ok' }, 'x-note': 'ignored as a response' },
          },
        },
      },
      definitions: { Open: { type: 'object', additionalProperties: false, items: [{ type: 'string' }], 'x-flag': null } },
    };
    const d = decode(encodeOpenApiV2Protobuf(doc));
    assert.equal(d.base_path, '/v1');
    assert.deepEqual(d.info.license, { name: 'Apache-2.0' });
    assert.deepEqual(named(d.security_definitions.additional_properties, 'basic'), { basic_authentication_security: { type: 'basic' } });
    const get = named(d.paths.path, '/things').get;
    assert.deepEqual(get.parameters[0], { json_reference: { _ref: '#/parameters/limit' } });
    assert.equal(get.parameters[1].parameter.non_body_parameter.header_parameter_sub_schema.name, 'X-Trace');
    assert.deepEqual(get.parameters[2].parameter.non_body_parameter.query_parameter_sub_schema.items, { type: 'integer' });
    assert.deepEqual(get.responses.response_code, [{ name: '200', value: { json_reference: { _ref: '#/responses/ok' } } }]);
    assert.equal(extension(get.responses, 'x-note'), 'ignored as a response');
    const open = named(d.definitions.additional_properties, 'Open');
    assert.deepEqual(open.additional_properties, { boolean: false });
    assert.deepEqual(open.items, { schema: [{ type: { value: ['string'] } }] });
    assert.equal(extension(open, 'x-flag'), null);
  });

  test('replaces lone surrogates, which cannot be encoded as UTF-8', () => {
    const bytes = encodeOpenApiV2Protobuf({ swagger: '2.0', info: { title: 'broken \ud800 title', version: 'x' } });
    assert.doesNotThrow(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    assert.equal(decode(bytes).info.title, 'broken \ufffd title');
  });

  test('refuses what is not a document', () => {
    assert.throws(() => encodeOpenApiV2Protobuf([] as unknown as object), /must be a JSON object/);
  });
});

describe('toYamlFlow', () => {
  test('writes values a YAML 1.1 parser reads back unchanged', () => {
    const tricky = ['yes', 'on', 'No', 'null', '~', '1e3', '0x1F', '', 'a: b', '# not a comment', '- item', 'tab\there', 'line\nbreak', 'del\u007f', 'nel\u0085', 'ls\u2028ps\u2029', 'é ✓ 🚀'];
    for (const value of [...tricky, 0, -1.5, 12345678901, true, false, null, [], {}, ['a', 1, [true]], { '': 1, 'key: x': { nested: ['v'] } }]) {
      assert.deepEqual(parseYaml(toYamlFlow(value), { version: '1.1' }), value, JSON.stringify(value));
    }
  });

  test('escapes the characters YAML forbids or folds inside double quotes', () => {
    assert.equal(toYamlFlow('a\u007fb\u0085c\u2028d'), '"a\\u007fb\\u0085c\\u2028d"');
    assert.equal(toYamlFlow({ a: [1, 'x'] }), '{"a": [1, "x"]}');
  });
});
