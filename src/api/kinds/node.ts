// node.k8s.io/v1 RuntimeClass: how a pod says which runtime runs it (spec.runtimeClassName). The
// handler names the runtime on the node (for Granary's agent: systemd units, supervised processes
// or OCI containers); overhead is what that runtime costs a pod, and scheduling limits the pod to
// the nodes that have the runtime.
import { type Static } from '@sinclair/typebox';
import { describe, list, object, resourceList, string, stringMap } from './fields.ts';
import { kindSchema } from './meta.ts';
import { TolerationSchema } from './core.ts';

export const OverheadSchema = object('Resources a pod of this runtime class uses beyond its containers.', {
  podFixed: resourceList('A fixed amount of each resource added to every pod of this runtime class.'),
});

export const SchedulingSchema = object('Which nodes have the runtime.', {
  nodeSelector: stringMap('Labels a node must have to run pods of this runtime class; merged into the pod\'s nodeSelector.', 'atomic'),
  tolerations: list(TolerationSchema, 'Tolerations added to the pods of this runtime class.'),
});

export const RuntimeClassSchema = kindSchema('A runtime a pod can ask for, and what it costs and needs.', {
  handler: string('Name of the runtime on the node, a DNS label (e.g. systemd, process, runc). Immutable.'),
  overhead: describe(OverheadSchema, 'Resources pods of this runtime class use beyond their containers.'),
  scheduling: describe(SchedulingSchema, 'Which nodes have the runtime; unset means all nodes do.'),
}, ['handler']);
export type RuntimeClass = Static<typeof RuntimeClassSchema>;
