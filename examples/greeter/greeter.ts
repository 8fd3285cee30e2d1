// A complete operator in under 100 lines: a Greeting custom resource becomes a ConfigMap holding
// its message. It is the sample that docs/operator-guide.md walks through, and it is tested.
import { Type, type Static } from '@sinclair/typebox';
import { ConditionSchema, kindSchema } from '../../src/api/kinds/meta.ts';
import type { KubeClient } from '../../src/client/client.ts';
import { Controller, generationChanged } from '../../src/runtime/controller.ts';
import { customResourceDefinition } from '../../src/runtime/crd.ts';
import { setCondition } from '../../src/runtime/conditions.ts';
import type { Logger } from '../../src/common/log.ts';

// 1. The schema: one TypeBox definition gives the TypeScript type and the CRD.
const GreetingSchema = kindSchema('A greeting, published as a ConfigMap.', {
  spec: Type.Object({
    message: Type.String({ description: 'What the ConfigMap will say.', minLength: 1 }),
  }),
  status: Type.Optional(Type.Object({
    observedGeneration: Type.Optional(Type.Integer()),
    conditions: Type.Optional(Type.Array(ConditionSchema)),
  })),
}, ['spec']);
export type Greeting = Static<typeof GreetingSchema>;

export const GREETING_CRD = customResourceDefinition({
  group: 'example.granary.dev', kind: 'Greeting', plural: 'greetings', shortNames: ['greet'],
  versions: [{
    name: 'v1alpha1', schema: GreetingSchema, storage: true,
    printerColumns: [{ name: 'Message', type: 'string', jsonPath: '.spec.message' }],
  }],
});

// 2. The reconcile: make the world match the spec, then report it in status.
async function reconcile(greeting: Greeting, client: KubeClient): Promise<void> {
  const configMaps = client.resource('v1', 'ConfigMap');
  const { name, namespace, uid } = greeting.metadata;
  await configMaps.apply({
    metadata: {
      name: `greeting-${name}`, namespace,
      labels: { 'app.kubernetes.io/managed-by': 'greeter', 'app.kubernetes.io/instance': name! },
      ownerReferences: [{ apiVersion: greeting.apiVersion, kind: greeting.kind, name: name!, uid: uid!, controller: true, blockOwnerDeletion: true }],
    },
    data: { message: greeting.spec.message },
  }, { fieldManager: 'greeter', force: true });
  const conditions = setCondition(greeting.status?.conditions, {
    type: 'Available', status: 'True', reason: 'ConfigMapWritten', message: `greeting-${name} holds the message`,
    observedGeneration: greeting.metadata.generation,
  });
  await client.resource<Greeting>('example.granary.dev/v1alpha1', 'Greeting').apply({
    metadata: { name, namespace },
    status: { observedGeneration: greeting.metadata.generation, conditions },
  }, { fieldManager: 'greeter', force: true, subresource: 'status' });
}

// 3. The controller: watch Greetings, own their ConfigMaps, reconcile on spec changes.
export function greeterController(client: KubeClient, log?: Logger): Controller<Greeting> {
  return new Controller<Greeting>({
    name: 'greeter', client, log, apiVersion: 'example.granary.dev/v1alpha1', kind: 'Greeting',
    predicates: [generationChanged],
    reconcile: async (greeting) => reconcile(greeting, client),
  }).owns('v1', 'ConfigMap', { labelSelector: 'app.kubernetes.io/managed-by=greeter' });
}
