// The parts of the core/v1 kinds (Pod, ConfigMap, Secret) that the agent's host-side machinery
// reads, as plain structural interfaces with Kubernetes' field names. They are a subset of the
// full kinds in src/api/kinds/core.ts, so objects typed there fit here unchanged; importing
// those types instead is a change of this file only.
import type { ObjectMeta } from '../api/meta.ts';

export interface ObjectFieldSelector { apiVersion?: string; fieldPath: string }
export interface ResourceFieldSelector { containerName?: string; resource: string; divisor?: string | number }
export interface ConfigMapKeySelector { name?: string; key: string; optional?: boolean }
export interface SecretKeySelector { name?: string; key: string; optional?: boolean }

export interface EnvVarSource {
  fieldRef?: ObjectFieldSelector;
  resourceFieldRef?: ResourceFieldSelector;
  configMapKeyRef?: ConfigMapKeySelector;
  secretKeyRef?: SecretKeySelector;
}
export interface EnvVar { name: string; value?: string; valueFrom?: EnvVarSource }
export interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name?: string; optional?: boolean };
  secretRef?: { name?: string; optional?: boolean };
}

export interface ResourceRequirements { limits?: Record<string, string | number>; requests?: Record<string, string | number> }
export interface VolumeMount { name: string; mountPath: string; subPath?: string; readOnly?: boolean }

export interface ExecAction { command?: string[] }
export interface HTTPHeader { name: string; value: string }
export interface HTTPGetAction { path?: string; port: number | string; host?: string; scheme?: string; httpHeaders?: HTTPHeader[] }
export interface TCPSocketAction { port: number | string; host?: string }
export interface Probe {
  exec?: ExecAction;
  httpGet?: HTTPGetAction;
  tcpSocket?: TCPSocketAction;
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export interface ContainerPort { name?: string; containerPort: number; protocol?: string }
export interface SecurityContext { runAsUser?: number; runAsGroup?: number }
export interface Container {
  name: string;
  image?: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  ports?: ContainerPort[];
  resources?: ResourceRequirements;
  volumeMounts?: VolumeMount[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  securityContext?: SecurityContext;
}

export interface KeyToPath { key: string; path: string; mode?: number }
export interface DownwardAPIVolumeFile { path: string; fieldRef?: ObjectFieldSelector; resourceFieldRef?: ResourceFieldSelector; mode?: number }
export interface Volume {
  name: string;
  configMap?: { name?: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  secret?: { secretName?: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  downwardAPI?: { items?: DownwardAPIVolumeFile[]; defaultMode?: number };
  emptyDir?: { medium?: string; sizeLimit?: string | number };
  hostPath?: { path: string; type?: string };
  csi?: { driver: string; readOnly?: boolean; volumeAttributes?: Record<string, string> };
}

export interface PodSpec {
  nodeName?: string;
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  terminationGracePeriodSeconds?: number;
  serviceAccountName?: string;
  securityContext?: SecurityContext;
  imagePullSecrets?: { name?: string }[];
  runtimeClassName?: string;
  hostNetwork?: boolean;
}
export interface PodStatusFields { phase?: string; podIP?: string; hostIP?: string; startTime?: string; conditions?: unknown[] }
export interface Pod { apiVersion?: string; kind?: string; metadata: ObjectMeta; spec: PodSpec; status?: PodStatusFields }

export interface ConfigMap { metadata: ObjectMeta; data?: Record<string, string>; binaryData?: Record<string, string>; immutable?: boolean }
export interface Secret { metadata: ObjectMeta; data?: Record<string, string>; stringData?: Record<string, string>; type?: string; immutable?: boolean }
