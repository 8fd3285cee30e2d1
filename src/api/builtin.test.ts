import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_RESOURCES, INITIAL_NAMESPACES, findBuiltin, findBuiltinByKind } from './builtin.ts';
import type { JSONSchemaProps } from './schema.ts';
import { ConditionSchema, DeleteOptionsSchema, LabelSelectorSchema, ObjectMetaSchema, StatusSchema, TableSchema, WatchEventSchema } from './kinds/meta.ts';
import { BindingSchema } from './kinds/core.ts';

/**
 * Map-list keys Kubernetes itself declares on optional properties without a default; kept for
 * fidelity with its published schema (path of the list → key).
 */
const KUBERNETES_OPTIONAL_LIST_KEYS = new Set(['ServiceAccount.secrets→name']);

/**
 * Problems that would make a schema non-structural, or its merge metadata unusable, as
 * "path: problem" lines. Rules: every node is typed (or int-or-string, or preserves unknown
 * fields); objects declare properties or additionalProperties; arrays declare items; integers
 * carry an int32/int64 format; every property is described; list map keys and patch merge keys
 * name item properties that are always present (required, or defaulted).
 */
function structuralProblems(schema: JSONSchemaProps, path: string): string[] {
  const problems: string[] = [];
  const problem = (message: string) => problems.push(`${path}: ${message}`);
  const preserves = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const intOrString = schema['x-kubernetes-int-or-string'] === true;

  for (const forbidden of ['$ref', 'anyOf', 'oneOf', 'allOf', 'not', 'patternProperties', 'const'] as const) {
    if (forbidden in schema) problem(`uses ${forbidden}`);
  }
  if (intOrString && schema.type !== undefined) problem('int-or-string with a type');
  if (!intOrString && !preserves && schema.type === undefined) problem('has no type');
  if (schema.type === 'object' && !schema.properties && !schema.additionalProperties && !preserves) {
    problem('object without properties or additionalProperties');
  }
  if (schema.properties && schema.additionalProperties) problem('both properties and additionalProperties');
  if (schema.type === 'array' && !schema.items) problem('array without items');
  if (schema.type === 'integer' && schema.format !== 'int32' && schema.format !== 'int64') problem('integer without int32/int64 format');
  if (schema.enum && schema.type !== 'string') problem('enum on a non-string');
  for (const name of schema.required ?? []) {
    if (!schema.properties?.[name]) problem(`requires unknown property ${name}`);
  }

  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    if (!child.description) problems.push(`${path}.${name}: no description`);
    problems.push(...structuralProblems(child, `${path}.${name}`));
  }
  if (typeof schema.additionalProperties === 'object') problems.push(...structuralProblems(schema.additionalProperties, `${path}{}`));
  if (schema.items) {
    problems.push(...structuralProblems(schema.items, `${path}[]`));
    problems.push(...listProblems(schema, path));
  }
  return problems;
}

function listProblems(list: JSONSchemaProps, path: string): string[] {
  const items = list.items!;
  const problems: string[] = [];
  const listType = list['x-kubernetes-list-type'];
  if (!listType) problems.push(`${path}: list without x-kubernetes-list-type`);
  const alwaysPresent = (key: string) => (items.required ?? []).includes(key) || items.properties?.[key]?.default !== undefined;
  const checkKey = (key: string, what: string) => {
    if (!items.properties?.[key]) problems.push(`${path}: ${what} ${key} is not an item property`);
    else if (!alwaysPresent(key) && !KUBERNETES_OPTIONAL_LIST_KEYS.has(`${path}→${key}`)) problems.push(`${path}: ${what} ${key} is neither required nor defaulted`);
  };
  if (listType === 'map') {
    const keys = list['x-kubernetes-list-map-keys'] ?? [];
    if (keys.length === 0) problems.push(`${path}: map list without keys`);
    for (const key of keys) checkKey(key, 'map key');
  } else if (list['x-kubernetes-list-map-keys']) {
    problems.push(`${path}: map keys on a ${listType} list`);
  }
  if (listType === 'set' && items.type === 'object') problems.push(`${path}: set of objects`);
  const mergeKey = list['x-kubernetes-patch-merge-key'];
  if (mergeKey !== undefined) {
    checkKey(mergeKey, 'patch merge key');
    if (!String(list['x-kubernetes-patch-strategy'] ?? '').split(',').includes('merge')) problems.push(`${path}: merge key without merge strategy`);
  }
  return problems;
}

test('every built-in schema is structural and its merge metadata is usable', () => {
  for (const r of BUILTIN_RESOURCES) {
    assert.ok(r.schema, `${r.plural} has no schema`);
    assert.deepEqual(structuralProblems(r.schema, r.kind), [], `${r.group}/${r.version} ${r.kind}`);
  }
});

test('the shared meta.k8s.io shapes and the Binding kind are structural too', () => {
  const shared = { StatusSchema, DeleteOptionsSchema, WatchEventSchema, TableSchema, ConditionSchema, LabelSelectorSchema, BindingSchema };
  for (const [name, schema] of Object.entries(shared)) {
    assert.deepEqual(structuralProblems(schema as JSONSchemaProps, name), [], name);
  }
});

test('the checker rejects what is not structural', () => {
  const bad: JSONSchemaProps = {
    type: 'object',
    properties: {
      untyped: { description: 'x' },
      bare: { type: 'object', description: 'x' },
      count: { type: 'integer', description: 'x' },
      undocumented: { type: 'string' },
      items: {
        type: 'array', description: 'x', items: { type: 'object', properties: { name: { type: 'string', description: 'n' } } },
        'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'],
      },
    },
  };
  assert.deepEqual(structuralProblems(bad, 'T'), [
    'T.untyped: has no type',
    'T.bare: object without properties or additionalProperties',
    'T.count: integer without int32/int64 format',
    'T.undocumented: no description',
    'T.items: map key name is neither required nor defaulted',
  ]);
});

test('schemas survive JSON serialization unchanged in meaning', () => {
  for (const r of BUILTIN_RESOURCES) {
    const copy = JSON.parse(JSON.stringify(r.schema)) as JSONSchemaProps;
    assert.deepEqual(structuralProblems(copy, r.kind), []);
    assert.deepEqual(copy, JSON.parse(JSON.stringify(copy)));
  }
});

test('every kind has apiVersion, kind and the ObjectMeta schema as metadata', () => {
  for (const r of BUILTIN_RESOURCES) {
    const props = r.schema!.properties!;
    assert.equal(props.apiVersion.type, 'string', r.kind);
    assert.equal(props.kind.type, 'string', r.kind);
    assert.deepEqual(props.metadata.properties, ObjectMetaSchema.properties, r.kind);
    if (r.hasStatus) assert.equal(props.status?.type, 'object', `${r.kind} serves status but has no status field`);
  }
});

test('names are consistent and unique, as Kubernetes discovery reports them', () => {
  const byId = new Set<string>();
  const byKind = new Set<string>();
  const shortNameOwner = new Map<string, string>();
  for (const r of BUILTIN_RESOURCES) {
    assert.equal(r.singular, r.kind.toLowerCase());
    assert.equal(r.listKind, `${r.kind}List`);
    assert.match(r.plural, /^[a-z]+$/);
    assert.ok(r.plural.startsWith(r.singular.slice(0, -1)), `${r.plural} is not a plural of ${r.singular}`);
    assert.equal(r.storageVersion, r.version);
    assert.ok(r.openapiPrefix?.startsWith('io.k8s.'), r.kind);
    const id = `${r.group}/${r.version}/${r.plural}`;
    assert.ok(!byId.has(id), `duplicate ${id}`);
    byId.add(id);
    const kind = `${r.group}/${r.version}/${r.kind}`;
    assert.ok(!byKind.has(kind), `duplicate ${kind}`);
    byKind.add(kind);
    // A short name may be shared only by the same resource served in two groups (events).
    for (const short of r.shortNames ?? []) {
      const owner = shortNameOwner.get(short);
      assert.ok(owner === undefined || owner === r.plural, `short name ${short} used by ${owner} and ${r.plural}`);
      shortNameOwner.set(short, r.plural);
    }
  }
  assert.deepEqual([...shortNameOwner].sort(), [
    ['cm', 'configmaps'], ['crd', 'customresourcedefinitions'], ['crds', 'customresourcedefinitions'], ['csr', 'certificatesigningrequests'], ['ev', 'events'],
    ['no', 'nodes'], ['ns', 'namespaces'], ['po', 'pods'], ['sa', 'serviceaccounts'], ['svc', 'services'],
  ]);
});

test('verbs, categories and subresources match Kubernetes for the resources kubectl treats specially', () => {
  const all = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
  const pods = findBuiltin('', 'v1', 'pods')!;
  assert.deepEqual(pods.verbs, all);
  assert.deepEqual(pods.categories, ['all']);
  assert.deepEqual(pods.subresources, ['binding', 'log', 'status']);
  assert.equal(pods.hasStatus, true);
  const namespaces = findBuiltin('', 'v1', 'namespaces')!;
  assert.deepEqual(namespaces.verbs, all.filter((v) => v !== 'deletecollection'));
  assert.deepEqual(namespaces.subresources, ['finalize', 'status']);
  assert.equal(namespaces.namespaced, false);
  assert.deepEqual(findBuiltin('', 'v1', 'serviceaccounts')!.subresources, ['token']);
  const services = findBuiltin('', 'v1', 'services')!;
  assert.deepEqual([services.categories, services.subresources, services.verbs], [['all'], ['status'], all]);
  assert.equal(findBuiltin('node.k8s.io', 'v1', 'runtimeclasses')!.namespaced, false);
  assert.equal(findBuiltinByKind('discovery.k8s.io', 'v1', 'EndpointSlice')?.openapiPrefix, 'io.k8s.api.discovery.v1');
  assert.equal(findBuiltin('', 'v1', 'configmaps')!.hasStatus, false);
  const crds = findBuiltin('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
  assert.deepEqual(crds.categories, ['api-extensions']);
  assert.equal(crds.hasStatus, true);
  assert.equal(crds.openapiPrefix, 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1');
  // Every definition has its own verbs array: changing one cannot change another.
  assert.notEqual(pods.verbs, findBuiltin('', 'v1', 'configmaps')!.verbs);
});

test('the lookups find resources by plural and by kind, and nothing else', () => {
  assert.equal(findBuiltin('coordination.k8s.io', 'v1', 'leases')?.kind, 'Lease');
  assert.equal(findBuiltinByKind('events.k8s.io', 'v1', 'Event')?.openapiPrefix, 'io.k8s.api.events.v1');
  assert.equal(findBuiltinByKind('', 'v1', 'Event')?.openapiPrefix, 'io.k8s.api.core.v1');
  assert.equal(findBuiltinByKind('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding')?.namespaced, false);
  assert.equal(findBuiltin('', 'v1', 'deployments'), undefined);
  assert.equal(findBuiltin('', 'v2', 'pods'), undefined);
  assert.equal(findBuiltinByKind('apps', 'v1', 'Pod'), undefined);
});

test('the initial namespaces are those every Kubernetes cluster starts with', () => {
  assert.deepEqual([...INITIAL_NAMESPACES], ['default', 'kube-system', 'kube-public', 'kube-node-lease']);
});
