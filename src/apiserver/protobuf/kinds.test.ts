// The protobuf definitions (definitions/, in Kubernetes' field numbers) and the kinds' schemas
// (src/api/kinds, where every field is declared) are compared field by field, both ways: a field
// added to a schema without a protobuf field number fails here, and so does a protobuf field the
// schema lacks, unless it is one of the known differences below, or shapes that differ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_RESOURCES } from '../../api/builtin.ts';
import { formatApiVersion } from '../../api/meta.ts';
import type { JSONSchemaProps } from '../../api/schema.ts';
import { KUBERNETES_SCHEMA, messageForKind } from './kinds.ts';
import { isScalar, type FieldDef, type MessageDef, type Schema } from './schema.ts';

/**
 * Protobuf fields the schemas leave out on purpose; a decoded object loses them as the server
 * prunes any unknown field: selfLink (deprecated, never set), in-tree volume plugins Granary
 * cannot mount, and fields of Kubernetes versions later than the schemas follow.
 */
const KNOWN_PROTOBUF_ONLY = new Set([
  'meta.ObjectMeta.selfLink',
  'core.VolumeSource.iscsi',
  'core.EmptyDirVolumeSource.mode', 'core.KeyToPath.user', 'core.SecretVolumeSource.defaultUser', 'core.DownwardAPIVolumeFile.user',
  'core.DownwardAPIVolumeSource.defaultUser', 'core.ConfigMapVolumeSource.defaultUser', 'core.ServiceAccountTokenProjection.user',
  'core.ClusterTrustBundleProjection.user', 'core.VolumeProjection.podCertificate', 'core.ProjectedVolumeSource.defaultUser',
  'core.EnvVarSource.fileKeyRef', 'core.VolumeMount.bindMountOptions', 'core.HTTPGetAction.protocol', 'core.GRPCAction.mode',
  'core.Container.restartPolicyRules', 'core.PodSpec.hostnameOverride', 'core.PodSpec.schedulingGroup', 'core.PodSpec.evictionResponders',
  'core.VolumeMountStatus.volumeStatus', 'core.ResourceHealth.message', 'core.PodStatus.extendedResourceClaimStatus',
  'core.PodStatus.allocatedResources', 'core.PodStatus.resources', 'core.PodStatus.nodeAllocatableResourceClaimStatuses',
  'core.PodStatus.volumeHealth', 'authorization.ResourceAttributes.fieldSelector', 'authorization.ResourceAttributes.labelSelector',
]);

/** Every built-in kind clients may send as protobuf, with its message. */
const PROTOBUF_KINDS = BUILTIN_RESOURCES.flatMap((r) => {
  const message = messageForKind(formatApiVersion(r.group, r.version), r.kind);
  return message && r.schema ? [{ message, schema: r.schema }] : [];
});

test('every field of every kind clients send as protobuf has a protobuf field of the same shape, and back', () => {
  const compared = PROTOBUF_KINDS.map((k) => k.message);
  for (const message of ['core.Pod', 'core.ConfigMap', 'core.Service', 'discovery.EndpointSlice', 'node.RuntimeClass', 'rbac.ClusterRole', 'certificates.CertificateSigningRequest']) {
    assert.ok(compared.includes(message), `${message} is compared`);
  }
  const found = PROTOBUF_KINDS.flatMap(({ message, schema }) => disagreements(KUBERNETES_SCHEMA, message, schema, KNOWN_PROTOBUF_ONLY));
  assert.deepEqual([...new Set(found.map((d) => `${d.at}: ${d.problem}`))], []);
  const knownKey = (d: Disagreement) => {
    const [owner, path] = d.at.split(' ');
    return `${owner}.${path.split('.').at(-1)}`;
  };
  const used = new Set(PROTOBUF_KINDS.flatMap(({ message, schema }) => disagreements(KUBERNETES_SCHEMA, message, schema).map(knownKey)));
  assert.deepEqual([...KNOWN_PROTOBUF_ONLY].filter((k) => !used.has(k)), [], 'every known difference still is one');
});

test('a field added to a schema without a protobuf field number is found, as are shapes that differ', () => {
  const pod = BUILTIN_RESOURCES.find((r) => r.group === '' && r.kind === 'Pod')!.schema!;
  const spec = pod.properties!.spec;
  const withExtra: JSONSchemaProps = {
    ...pod,
    properties: { ...pod.properties, spec: { ...spec, properties: { ...spec.properties, sidecarCount: { type: 'integer' }, nodeName: { type: 'array', items: { type: 'string' } } } } },
  };
  assert.deepEqual(disagreements(KUBERNETES_SCHEMA, 'core.Pod', withExtra, KNOWN_PROTOBUF_ONLY).map((d) => `${d.at}: ${d.problem}`), [
    'core.PodSpec spec.nodeName: the schema says array, protobuf string (string)',
    'core.PodSpec spec.sidecarCount: in the schema but has no protobuf field number',
  ]);
});

interface Disagreement {
  /** Where: the message and the JSON path, e.g. core.Pod spec.containers[].ports[].name. */
  at: string;
  problem: string;
}

/**
 * Every way `message` and `jsonSchema` disagree: a schema field without a protobuf field (and so
 * without a field number), a protobuf field the schema does not have, or shapes that differ.
 * Messages' inline fields count as their own. `known` lists the accepted differences, as
 * "<message>.<field>" (a protobuf field the schema leaves out on purpose).
 */
function disagreements(schema: Schema, message: string, jsonSchema: JSONSchemaProps, known: ReadonlySet<string> = new Set()): Disagreement[] {
  const found: Disagreement[] = [];
  const seen = new Set<string>();
  const visit = (def: MessageDef, props: JSONSchemaProps, path: string, root: boolean) => {
    const key = `${def.name} ${JSON.stringify(Object.keys(props.properties ?? {}))}`;
    if (seen.has(key)) return;
    seen.add(key);
    const fields = flatten(schema, def);
    const properties = props.properties ?? {};
    for (const [name, prop] of Object.entries(properties)) {
      if (root && (name === 'apiVersion' || name === 'kind')) continue;
      const field = fields.get(name);
      const at = `${def.name} ${path}${name}`;
      if (!field) {
        found.push({ at, problem: 'in the schema but has no protobuf field number' });
        continue;
      }
      const problem = shapeProblem(schema, field.field, prop);
      if (problem) found.push({ at, problem });
      const target = nested(schema, field.field, prop);
      if (target) visit(target.def, target.props, `${path}${name}${target.suffix}.`, false);
    }
    for (const [name, { owner }] of fields) {
      if (Object.hasOwn(properties, name) || known.has(`${owner}.${name}`)) continue;
      found.push({ at: `${owner} ${path}${name}`, problem: 'a protobuf field the schema does not have' });
    }
  };
  visit(schema.message(message), jsonSchema, '', true);
  return found;
}

/** A message's fields by JSON name, inline fields' included, each with the message it is declared in. */
function flatten(schema: Schema, def: MessageDef): Map<string, { field: FieldDef; owner: string }> {
  const out = new Map<string, { field: FieldDef; owner: string }>();
  for (const field of def.fields) {
    if (field.presence === 'inline') for (const [k, v] of flatten(schema, schema.message(field.type))) out.set(k, v);
    else out.set(field.name, { field, owner: def.name });
  }
  return out;
}

function jsonType(prop: JSONSchemaProps): string {
  if (prop['x-kubernetes-int-or-string']) return 'int-or-string';
  if (prop['x-kubernetes-preserve-unknown-fields'] && !prop.properties) return 'any';
  if (prop.type === 'array') return 'array';
  if (prop.type === 'object' && prop.additionalProperties && typeof prop.additionalProperties === 'object' && !prop.properties) return 'map';
  return String(prop.type ?? 'any');
}

/** What a field's protobuf type is as JSON. */
function protoJsonType(schema: Schema, field: FieldDef, element: boolean): string {
  if (!element && field.shape === 'list') return 'array';
  if (!element && field.shape === 'map') return 'map';
  if (isScalar(field.type)) return field.type === 'bool' ? 'boolean' : field.type === 'int32' || field.type === 'int64' ? 'integer' : 'string';
  const def = schema.message(field.type);
  switch (def.form) {
    case 'time': case 'microTime': return 'string';
    case 'quantity': case 'intOrString': return 'int-or-string';
    case 'rawJson': return 'any';
    case 'unwrap': return protoJsonType(schema, def.fields[0], false);
    default: return 'object';
  }
}

function shapeProblem(schema: Schema, field: FieldDef, prop: JSONSchemaProps): string | undefined {
  const json = jsonType(prop);
  const proto = protoJsonType(schema, field, false);
  if (json === 'any' || proto === 'any' || json === proto) return undefined;
  // []byte is a base64 string in JSON.
  if (field.type === 'bytes' && field.shape === 'list' && json === 'string') return undefined;
  return `the schema says ${json}, protobuf ${proto} (${field.shape === 'single' ? '' : `${field.shape} of `}${field.type})`;
}

/** The message to compare a nested object with, and the schema of its JSON. */
function nested(schema: Schema, field: FieldDef, prop: JSONSchemaProps): { def: MessageDef; props: JSONSchemaProps; suffix: string } | undefined {
  if (isScalar(field.type)) return undefined;
  let def = schema.message(field.type);
  let suffix = '';
  let props = prop;
  if (field.shape === 'list') {
    props = (prop.items as JSONSchemaProps | undefined) ?? {};
    suffix = '[]';
  } else if (field.shape === 'map') {
    props = (typeof prop.additionalProperties === 'object' ? prop.additionalProperties : undefined) ?? {};
    suffix = '{}';
  }
  if (def.form === 'unwrap') {
    const inner = def.fields[0];
    if (isScalar(inner.type)) return undefined;
    def = schema.message(inner.type);
    if (inner.shape === 'list') props = (props.items as JSONSchemaProps | undefined) ?? {};
  }
  if (def.form || !props.properties) return undefined;
  return { def, props, suffix };
}
