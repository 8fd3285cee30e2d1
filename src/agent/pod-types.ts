// The agent's view of the core/v1 kinds it runs pods from: the types of src/api/kinds/core.ts,
// where every field is declared once, and a Pod that has its spec (the agent only runs pods that
// do; the API server requires one).
import type { Pod as PodObject, PodSpec } from '../api/kinds/core.ts';

export type {
  ConfigMap, Container, ContainerPort, EnvFromSource, EnvVar, EnvVarSource, ExecAction, HTTPGetAction, KeyToPath, ObjectFieldSelector,
  PodSpec, Probe, ResourceFieldSelector, ResourceRequirements, Secret, SecurityContext, TCPSocketAction, Volume, VolumeMount,
} from '../api/kinds/core.ts';

export type Pod = PodObject & { spec: PodSpec };
