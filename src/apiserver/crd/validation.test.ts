import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/meta.ts';
import type { JSONSchemaProps } from '../../api/schema.ts';
import { defaultCrd, validateCrd, validateCrdUpdate } from './validation.ts';

const widgetSchema = (): JSONSchemaProps => ({
  type: 'object',
  properties: {
    spec: { type: 'object', properties: { replicas: { type: 'integer', default: 1 }, mode: { type: 'string', enum: ['a', 'b'] } } },
    status: { type: 'object', properties: { replicas: { type: 'integer' } } },
  },
});

function crd(change: (c: any) => void = () => {}): KubeObject {
  const c: any = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList', shortNames: ['wd'] },
      scope: 'Namespaced',
      versions: [{
        name: 'v1', served: true, storage: true,
        schema: { openAPIV3Schema: widgetSchema() },
        subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
        additionalPrinterColumns: [{ name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' }],
      }],
      conversion: { strategy: 'None' },
    },
    status: { conditions: [], acceptedNames: { plural: '', kind: '' }, storedVersions: [] },
  };
  change(c);
  return c;
}

const fields = (o: KubeObject) => validateCrd(o).map((c) => `${c.field}: ${c.message}`);
const schemaPath = 'spec.versions[0].schema.openAPIV3Schema';
const withSchema = (schema: unknown) => crd((c) => { c.spec.versions[0].schema.openAPIV3Schema = schema; });

test('a well-formed CRD is valid', () => {
  assert.deepEqual(validateCrd(crd()), []);
});

test('singular and listKind default from kind; defaultCrd stores them and the conversion strategy', () => {
  const c = crd((x) => { delete x.spec.names.singular; delete x.spec.names.listKind; delete x.spec.conversion; });
  assert.deepEqual(validateCrd(c), [], 'validated as if defaulted, as Kubernetes defaults before validating');
  assert.deepEqual(fields(crd((x) => { x.spec.names = { plural: 'widgets' }; })), [
    'spec.names.singular: Required value', 'spec.names.kind: Required value', 'spec.names.listKind: Required value',
  ]);
  defaultCrd(c);
  assert.deepEqual((c.spec as any).names, { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList', shortNames: ['wd'] });
  assert.deepEqual((c.spec as any).conversion, { strategy: 'None' });
  assert.deepEqual(validateCrd(c), []);
});

test('the name must be <plural>.<group>; the group needs a dot', () => {
  assert.deepEqual(fields(crd((c) => { c.metadata.name = 'widgets.other.com'; })), ['metadata.name: Invalid value: "widgets.other.com": must be spec.names.plural+"."+spec.group']);
  assert.deepEqual(fields(crd((c) => { c.spec.group = 'example'; c.metadata.name = 'widgets.example'; })), ['spec.group: Invalid value: "example": should be a domain with at least one dot']);
  assert.match(fields(crd((c) => { c.spec.group = 'Example.com'; c.metadata.name = 'widgets.Example.com'; }))[0], /^spec\.group: Invalid value: "Example\.com": a lowercase RFC 1123 subdomain/);
});

test('names follow DNS-1035 rules (kind may have mixed case) and kind differs from listKind', () => {
  const out = fields(crd((c) => {
    c.spec.names = { plural: 'Widgets', singular: 'widget', kind: 'Wid_get', listKind: 'Wid_get', shortNames: ['ok', '9x'], categories: ['all'] };
    c.metadata.name = 'Widgets.example.com';
  }));
  assert.deepEqual(out.map((l) => l.split(':')[0]), ['spec.names.plural', 'spec.names.kind', 'spec.names.listKind', 'spec.names.shortNames[1]', 'spec.names.listKind']);
  assert.match(out[1], /may have mixed case, but should otherwise match: a DNS-1035 label/);
  assert.equal(out[4], 'spec.names.listKind: Invalid value: "Wid_get": kind and listKind may not be the same');
});

test('scope is Namespaced or Cluster', () => {
  assert.deepEqual(fields(crd((c) => { c.spec.scope = 'Global'; })), ['spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"']);
  assert.deepEqual(fields(crd((c) => { delete c.spec.scope; })), ['spec.scope: Required value']);
});

test('versions: unique DNS-1035 names, exactly one storage version, a schema each', () => {
  const out = fields(crd((c) => {
    c.spec.versions.push({ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: widgetSchema() } });
    c.spec.versions.push({ name: 'V2', served: false, storage: false });
  }));
  assert.deepEqual(out.map((l) => l.replace(/: Invalid value: \[.*\]: /, ': [versions]: ')), [
    "spec.versions[2].name: Invalid value: \"V2\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    'spec.versions[2].schema.openAPIV3Schema: Required value',
    'spec.versions: [versions]: must contain unique version names',
    'spec.versions: [versions]: must have exactly one version marked as storage version',
  ]);
  assert.ok(fields(crd((c) => { c.spec.versions = []; })).includes('status.storedVersions: Invalid value: []: must have at least one stored version'));
});

test('a version removed from spec.versions must first leave status.storedVersions', () => {
  const c = crd((x) => {
    x.spec.versions[0].name = 'v2';
    x.status.storedVersions = ['v1', 'v2'];
  });
  assert.deepEqual(fields(c), [
    'status.storedVersions[0]: Invalid value: "v1": missing from spec.versions; v1 was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in v1 and removes v1 from status.storedVersions',
  ]);
});

test('wrongly typed fields are reported before anything else is read', () => {
  assert.deepEqual(fields(crd((c) => { c.spec.versions = 'v1'; })), ['spec.versions: Invalid value: "string": spec.versions in body must be of type array: "string"']);
  assert.deepEqual(fields(withSchema({ type: 'object', properties: { spec: { type: 5 } } })), [`${schemaPath}.properties[spec].type: Invalid value: 5: must be of type string`]);
});

test('non-structural schemas are reported with Kubernetes\' messages', () => {
  const withoutStatus = (schema: unknown) => crd((c) => { c.spec.versions[0].schema.openAPIV3Schema = schema; delete c.spec.versions[0].subresources; });
  const out = fields(withoutStatus({
    type: 'object',
    anyOf: [{ properties: { spec: { properties: { other: { minimum: 1 } } } } }],
    properties: {
      spec: {
        type: 'object',
        properties: {
          untyped: { description: 'no type' },
          list: { type: 'array' },
          choice: { type: 'object', anyOf: [{ type: 'object', properties: { a: { type: 'string', default: 'x' } } }] },
        },
      },
    },
  }));
  assert.deepEqual(out, [
    `${schemaPath}.properties[spec].properties[choice].anyOf[0].properties[a].default: Forbidden: must be undefined to be structural`,
    `${schemaPath}.properties[spec].properties[choice].anyOf[0].properties[a].type: Forbidden: must be empty to be structural`,
    `${schemaPath}.properties[spec].properties[choice].anyOf[0].type: Forbidden: must be empty to be structural`,
    `${schemaPath}.properties[spec].properties[list].items: Required value: must be specified`,
    `${schemaPath}.properties[spec].properties[other]: Required value: because it is defined in ${schemaPath}.anyOf[0].properties[spec].properties[other]`,
    `${schemaPath}.properties[spec].properties[untyped].type: Required value: must not be empty for specified object fields`,
  ]);
});

test('the root must be an object; metadata may only restrict name and generateName', () => {
  assert.deepEqual(fields(withSchema({ type: 'string' })), [
    `${schemaPath}.type: Invalid value: "string": only "object" is allowed as the type at the root of the schema if the status subresource is enabled`,
    `${schemaPath}.type: Invalid value: "string": must be object at the root`,
  ]);
  assert.match(fields(withSchema({ type: 'object', minProperties: 1 }))[0],
    /^spec\.versions\[0\]\.schema\.openAPIV3Schema: Invalid value: \{"minProperties":1,"type":"object"\}: only \[Description Type .* XValidations\] fields are allowed at the root of the schema if the status subresource is enabled$/);
  assert.deepEqual(fields(withSchema({ type: 'object', nullable: true })).slice(-1), [`${schemaPath}.nullable: Forbidden: nullable cannot be true at the root`]);
  assert.deepEqual(fields(withSchema({ type: 'object', properties: { metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 10 } } } } })), []);
  assert.deepEqual(fields(withSchema({ type: 'object', properties: { metadata: { type: 'object', properties: { labels: { type: 'object' } } } } })), [
    `${schemaPath}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`,
  ]);
});

test('int-or-string, preserve-unknown-fields and embedded resources follow their rules', () => {
  const ok = withSchema({
    type: 'object',
    properties: {
      port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
      free: { 'x-kubernetes-preserve-unknown-fields': true },
      template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
    },
  });
  assert.deepEqual(validateCrd(ok), []);
  assert.deepEqual(fields(withSchema({
    type: 'object',
    properties: {
      bad: { type: 'string', 'x-kubernetes-embedded-resource': true },
      closed: { type: 'object', 'x-kubernetes-embedded-resource': true },
      both: { 'x-kubernetes-int-or-string': true, 'x-kubernetes-preserve-unknown-fields': true },
      never: { type: 'object', 'x-kubernetes-preserve-unknown-fields': false },
    },
  })), [
    `${schemaPath}.properties[bad].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields`,
    `${schemaPath}.properties[bad].type: Invalid value: "string": must be object if x-kubernetes-embedded-resource is true`,
    `${schemaPath}.properties[both].x-kubernetes-preserve-unknown-fields: Invalid value: true: must be false if x-kubernetes-int-or-string is true`,
    `${schemaPath}.properties[closed].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields`,
    `${schemaPath}.properties[never].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined`,
  ]);
});

test('defaults must validate, must survive pruning, and are not allowed in top-level metadata', () => {
  const out = fields(withSchema({
    type: 'object',
    properties: {
      metadata: { type: 'object', default: {} },
      spec: {
        type: 'object',
        properties: {
          replicas: { type: 'integer', default: 'three' },
          config: { type: 'object', properties: { a: { type: 'string' } }, default: { a: 'x', b: 'y' } },
          mode: { type: 'string', enum: ['a'], default: 'b' },
        },
      },
    },
  }));
  assert.deepEqual(out, [
    `${schemaPath}.properties[spec].properties[replicas].default: Invalid value: "string":  in body must be of type integer: "string"`,
    `${schemaPath}.properties[spec].properties[config].default: Invalid value: {"a":"x","b":"y"}: must not have unknown fields`,
    `${schemaPath}.properties[spec].properties[mode].default: Unsupported value: "b": supported values: "a"`,
    `${schemaPath}.properties[metadata].default: Forbidden: must not be set in top-level metadata`,
  ]);
});

test('unsupported keywords and list/map type rules', () => {
  const out = fields(withSchema({
    type: 'object',
    properties: {
      ref: { $ref: '#/definitions/x' },
      u: { type: 'array', uniqueItems: true, items: { type: 'string' } },
      both: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } },
      lt: { type: 'string', 'x-kubernetes-list-type': 'set' },
      lm: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name', 'missing'], items: { type: 'object', properties: { name: { type: 'string' } } } },
    },
  }));
  assert.deepEqual(out.filter((l) => !l.includes('Required value: must not be empty for specified')), [
    `${schemaPath}.properties[ref].$ref: Forbidden: $ref is not supported`,
    `${schemaPath}.properties[u].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic`,
    `${schemaPath}.properties[both].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
    `${schemaPath}.properties[lt].type: Invalid value: "string": must be array if x-kubernetes-list-type is specified`,
    `${schemaPath}.properties[lm].x-kubernetes-list-map-keys: Invalid value: ["name","missing"]: entries must all be names of item properties`,
    `${schemaPath}.properties[lm].items.properties[name].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property`,
  ]);
});

test('x-kubernetes-validations rules are checked for form (not evaluated)', () => {
  const out = fields(withSchema({
    type: 'object',
    'x-kubernetes-validations': [{ rule: '' }, { rule: 'self.a\n|| self.b' }, { rule: 'true', reason: 'Nope' }],
  }));
  assert.deepEqual(out, [
    `${schemaPath}.x-kubernetes-validations[0].rule: Required value: rule is not specified`,
    `${schemaPath}.x-kubernetes-validations[1].message: Required value: message must be specified if rule contains line breaks`,
    `${schemaPath}.x-kubernetes-validations[2].reason: Unsupported value: "Nope": supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"`,
  ]);
});

test('scale paths, printer columns and selectable fields', () => {
  const out = fields(crd((c) => {
    const v = c.spec.versions[0];
    v.subresources.scale = { specReplicasPath: 'spec.replicas', statusReplicasPath: '.spec.replicas', labelSelectorPath: '.other.x' };
    v.additionalPrinterColumns = [
      { name: '', type: 'text', jsonPath: '.status.x[0' },
      { name: 'Age', type: 'date', format: 'time', jsonPath: 'metadata.creationTimestamp' },
    ];
    v.selectableFields = [{ jsonPath: '.spec.mode' }, { jsonPath: '.spec.mode' }, { jsonPath: '.spec.nope' }];
  }));
  assert.deepEqual(out, [
    'spec.versions[0].subresources.scale.specReplicasPath: Invalid value: "spec.replicas": must be a simple json path starting with .',
    'spec.versions[0].subresources.scale.statusReplicasPath: Invalid value: ".spec.replicas": should be a json path under .status',
    'spec.versions[0].subresources.scale.labelSelectorPath: Invalid value: ".other.x": should be a json path under either .spec or .status',
    'spec.versions[0].additionalPrinterColumns[0].name: Required value',
    'spec.versions[0].additionalPrinterColumns[0].type: Invalid value: "text": must be one of boolean,date,integer,number,string',
    'spec.versions[0].additionalPrinterColumns[0].jsonPath: Invalid value: ".status.x[0": unclosed \'[\'',
    'spec.versions[0].additionalPrinterColumns[1].format: Invalid value: "time": must be one of byte,date,date-time,double,float,int32,int64,password',
    'spec.versions[0].additionalPrinterColumns[1].jsonPath: Invalid value: "metadata.creationTimestamp": must be a simple json path starting with .',
    'spec.versions[0].selectableFields[1].jsonPath: Duplicate value: ".spec.mode"',
    'spec.versions[0].selectableFields[2].jsonPath: Invalid value: ".spec.nope": is an invalid path: does not refer to a field of the schema',
  ]);
});

test('only conversion strategy None is served; preserveUnknownFields cannot be true', () => {
  assert.deepEqual(fields(crd((c) => { c.spec.conversion = { strategy: 'Webhook', webhook: {} }; c.spec.preserveUnknownFields = true; })), [
    'spec.conversion.strategy: Unsupported value: "Webhook": supported values: "None"',
    'spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead',
  ]);
});

test('protected groups need the API approval annotation', () => {
  const inGroup = (annotations?: Record<string, string>) => crd((c) => {
    c.spec.group = 'widgets.k8s.io';
    c.metadata.name = 'widgets.widgets.k8s.io';
    if (annotations) c.metadata.annotations = annotations;
  });
  assert.match(fields(inGroup())[0], /^metadata\.annotations\[api-approved\.kubernetes\.io\]: Required value: protected groups must have approval annotation/);
  assert.deepEqual(validateCrd(inGroup({ 'api-approved.kubernetes.io': 'https://github.com/kubernetes/enhancements/pull/1111' })), []);
  assert.deepEqual(validateCrd(inGroup({ 'api-approved.kubernetes.io': 'unapproved, experimental' })), []);
  assert.equal(validateCrd(inGroup({ 'api-approved.kubernetes.io': 'yes' }))[0].reason, 'FieldValueInvalid');
});

test('updates keep group and plural, and once Established also scope and kind', () => {
  const old = crd();
  const changed = crd((c) => { c.spec.scope = 'Cluster'; c.spec.names.kind = 'Gadget'; c.spec.group = 'other.com'; });
  assert.deepEqual(validateCrdUpdate(changed, old).map((c) => c.field), ['spec.group']);
  const established = crd((c) => { c.status.conditions = [{ type: 'Established', status: 'True' }]; });
  assert.deepEqual(validateCrdUpdate(changed, established).map((c) => `${c.field}: ${c.message}`), [
    'spec.scope: Invalid value: "Cluster": field is immutable',
    'spec.names.kind: Invalid value: "Gadget": field is immutable',
    'spec.group: Invalid value: "other.com": field is immutable',
  ]);
  assert.deepEqual(validateCrdUpdate(crd(), established), []);
});
