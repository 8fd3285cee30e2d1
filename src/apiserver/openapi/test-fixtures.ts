// Small resource definitions the OpenAPI tests build documents from: built-in kinds in the core
// and a named group, one with strategic-merge metadata on lists, and a custom resource using
// the schema features that differ between OpenAPI v2 and v3.
import { ALL_VERBS, type ResourceDefinition } from '../../api/resources.ts';
import type { JSONSchemaProps } from '../../api/schema.ts';

const inlineMetadata: JSONSchemaProps = { type: 'object', description: 'Pod metadata.', properties: { name: { type: 'string' } } };

export const pods: ResourceDefinition = {
  group: '', version: 'v1', kind: 'Pod', listKind: 'PodList', plural: 'pods', singular: 'pod', namespaced: true,
  verbs: ALL_VERBS, subresources: ['status', 'binding', 'log'], storageVersion: 'v1', hasStatus: true,
  openapiPrefix: 'io.k8s.api.core.v1',
  schema: {
    type: 'object',
    description: 'A group of containers running together on one node.',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: inlineMetadata,
      spec: {
        type: 'object',
        properties: {
          nodeName: { type: 'string' },
          containers: {
            type: 'array',
            description: 'The containers of the pod.',
            items: {
              type: 'object',
              required: ['name'],
              properties: {
                name: { type: 'string' },
                image: { type: 'string' },
                ports: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      containerPort: { type: 'integer', format: 'int32' },
                      name: { type: 'string' },
                      probePort: { 'x-kubernetes-int-or-string': true, description: 'Port number or name to probe.' },
                    },
                  },
                  'x-kubernetes-list-type': 'map',
                  'x-kubernetes-list-map-keys': ['containerPort'],
                  'x-kubernetes-patch-merge-key': 'containerPort',
                  'x-kubernetes-patch-strategy': 'merge',
                },
              },
            },
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['name'],
            'x-kubernetes-patch-merge-key': 'name',
            'x-kubernetes-patch-strategy': 'merge',
          },
        },
      },
      status: { type: 'object', properties: { phase: { type: 'string', enum: ['Pending', 'Running', 'Succeeded', 'Failed'] } } },
    },
  },
};

export const namespaces: ResourceDefinition = {
  group: '', version: 'v1', kind: 'Namespace', listKind: 'NamespaceList', plural: 'namespaces', singular: 'namespace', namespaced: false,
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], subresources: ['status', 'finalize'], storageVersion: 'v1', hasStatus: true,
  openapiPrefix: 'io.k8s.api.core.v1',
  schema: { type: 'object', properties: { spec: { type: 'object', properties: { finalizers: { type: 'array', items: { type: 'string' } } } } } },
};

export const leases: ResourceDefinition = {
  group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', listKind: 'LeaseList', plural: 'leases', singular: 'lease', namespaced: true,
  verbs: ALL_VERBS, subresources: [], storageVersion: 'v1', hasStatus: false,
  openapiPrefix: 'io.k8s.api.coordination.v1',
  schema: { type: 'object', properties: { spec: { type: 'object', properties: { holderIdentity: { type: 'string' }, leaseDurationSeconds: { type: 'integer', format: 'int32' } } } } },
};

/** A built-in kind kubectl has never heard of, so only the published documents can tell it how to patch. */
export const gadgets: ResourceDefinition = {
  group: 'gadgets.granary.dev', version: 'v1', kind: 'Gadget', listKind: 'GadgetList', plural: 'gadgets', singular: 'gadget', namespaced: true,
  verbs: ALL_VERBS, subresources: ['status', 'scale'], storageVersion: 'v1', hasStatus: true,
  openapiPrefix: 'dev.granary.gadgets.v1',
  schema: {
    type: 'object',
    description: 'A gadget with named ports.',
    properties: {
      spec: {
        type: 'object',
        description: 'What the gadget should be.',
        properties: {
          replicas: { type: 'integer', format: 'int32' },
          template: {
            type: 'object',
            properties: {
              metadata: { type: 'object', description: 'Labels of the parts.', properties: { labels: { type: 'object', additionalProperties: { type: 'string' } } } },
              spec: { type: 'object', properties: { size: { type: 'integer' } } },
            },
          },
          ports: {
            type: 'array',
            description: 'The ports the gadget listens on.',
            items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { type: 'integer' } } },
            'x-kubernetes-patch-merge-key': 'name',
            'x-kubernetes-patch-strategy': 'merge',
          },
        },
      },
    },
  },
};

export const zookeeperClusters: ResourceDefinition = {
  group: 'zookeeper.granary.dev', version: 'v1alpha1', kind: 'ZookeeperCluster', listKind: 'ZookeeperClusterList',
  plural: 'zookeeperclusters', singular: 'zookeepercluster', namespaced: true, shortNames: ['zk'],
  verbs: ALL_VERBS, subresources: ['status', 'scale'], storageVersion: 'v1alpha1', hasStatus: true,
  schema: {
    type: 'object',
    description: 'A ZooKeeper ensemble.',
    required: ['spec'],
    properties: {
      spec: {
        type: 'object',
        required: ['replicas', 'image'],
        properties: {
          replicas: { type: 'integer', minimum: 1, default: 3 },
          image: { type: 'string', nullable: true },
          clientPort: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
          config: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { tickTime: { type: 'integer' } } },
          tags: { type: 'array' },
          template: {
            type: 'object',
            'x-kubernetes-embedded-resource': true,
            properties: { spec: { type: 'object', properties: { priority: { type: 'integer' } } } },
          },
          mode: { type: 'string', enum: ['standalone', 'replicated'], 'x-kubernetes-validations': [{ rule: 'self != ""', message: 'mode must not be empty' }] },
          backup: { type: 'object', properties: { metadata: { type: 'object', properties: { bucket: { type: 'string' } } } } },
        },
        oneOf: [{ required: ['image'] }],
      },
      status: { type: 'object', properties: { readyReplicas: { type: 'integer' } } },
    },
  },
};

export const ALL_FIXTURES = [pods, namespaces, leases, gadgets, zookeeperClusters];
