// Schemas shaped like Kubernetes' published ones, for the patch unit tests: a Deployment with the
// patch strategies and list types its OpenAPI carries, and a custom resource with list types.
import type { JSONSchemaProps } from '../../api/schema.ts';

const str: JSONSchemaProps = { type: 'string' };
const int: JSONSchemaProps = { type: 'integer' };

const container: JSONSchemaProps = {
  type: 'object',
  required: ['name'],
  properties: {
    name: str,
    image: str,
    imagePullPolicy: str,
    args: { type: 'array', items: str },
    ports: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-patch-merge-key': 'containerPort',
      items: { type: 'object', properties: { name: str, containerPort: int, protocol: { type: 'string', default: 'TCP' } } },
    },
    env: {
      type: 'array',
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-patch-merge-key': 'name',
      items: { type: 'object', properties: { name: str, value: str } },
    },
    resources: { type: 'object', properties: { limits: { type: 'object', additionalProperties: str }, requests: { type: 'object', additionalProperties: str } } },
  },
};

const volume: JSONSchemaProps = {
  type: 'object',
  properties: {
    name: str,
    emptyDir: { type: 'object', properties: { medium: str } },
    configMap: { type: 'object', properties: { name: str } },
    secret: { type: 'object', properties: { secretName: str } },
  },
};

const labelSelector: JSONSchemaProps = {
  type: 'object',
  'x-kubernetes-map-type': 'atomic',
  properties: { matchLabels: { type: 'object', additionalProperties: str } },
};

export const deploymentSchema: JSONSchemaProps = {
  type: 'object',
  properties: {
    apiVersion: str,
    kind: str,
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      properties: {
        replicas: int,
        paused: { type: 'boolean' },
        selector: labelSelector,
        strategy: {
          type: 'object',
          'x-kubernetes-patch-strategy': 'retainKeys',
          properties: { type: str, rollingUpdate: { type: 'object', properties: { maxSurge: { 'x-kubernetes-int-or-string': true }, maxUnavailable: { 'x-kubernetes-int-or-string': true } } } },
        },
        template: {
          type: 'object',
          properties: {
            metadata: {
              type: 'object',
              properties: { labels: { type: 'object', additionalProperties: str }, annotations: { type: 'object', additionalProperties: str } },
            },
            spec: {
              type: 'object',
              properties: {
                nodeSelector: { type: 'object', additionalProperties: str },
                containers: { type: 'array', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'name', items: container },
                volumes: { type: 'array', 'x-kubernetes-patch-strategy': 'merge,retainKeys', 'x-kubernetes-patch-merge-key': 'name', items: volume },
                tolerations: { type: 'array', items: { type: 'object', properties: { key: str, effect: str } } },
              },
            },
          },
        },
      },
    },
    status: { type: 'object', properties: { replicas: int, readyReplicas: int } },
  },
};

export const widgetSchema: JSONSchemaProps = {
  type: 'object',
  properties: {
    apiVersion: str,
    kind: str,
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      properties: {
        size: int,
        color: str,
        tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: str },
        ports: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', properties: { name: str, port: int } } },
        args: { type: 'array', items: str },
        settings: { type: 'object', additionalProperties: str },
        extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
    status: { type: 'object', properties: { phase: str } },
  },
};
