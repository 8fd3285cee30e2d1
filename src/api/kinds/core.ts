// The core ("" group, v1) kinds Granary serves: Namespace, ConfigMap, Secret, ServiceAccount,
// Pod (and Binding), Node and Event, with the sub-structures workloads use. Fields, required
// properties and list/merge semantics follow Kubernetes 1.33 (k8s.io/api core/v1); volume
// sources for cloud disks and other in-tree plugins Granary cannot mount are left out, so they
// are pruned (with a warning) like any unknown field.
import { Type, type Static } from '@sinclair/typebox';
import {
  atomicObject, base64, boolean, describe, freeform, int32, int64, intOrString, keyedList, list, mapOf, object, oneOf,
  quantity, resourceList, string, stringMap, timestamp,
} from './fields.ts';
import { LabelSelectorSchema, ObjectMetaSchema, kindSchema } from './meta.ts';

// ---------------------------------------------------------------------------------------------
// References

export const ObjectReferenceSchema = atomicObject('A reference to another object, by kind, namespace and name.', {
  kind: string('Kind of the referent.'),
  namespace: string('Namespace of the referent.'),
  name: string('Name of the referent.'),
  uid: string('UID of the referent.'),
  apiVersion: string('API version of the referent.'),
  resourceVersion: string('Resource version of the referent the reference was made for.'),
  fieldPath: string('A field within the referent, e.g. spec.containers{web} for one container of a pod.'),
});
export type ObjectReference = Static<typeof ObjectReferenceSchema>;

export const LocalObjectReferenceSchema = atomicObject('A reference to an object in the same namespace, by name.', {
  name: string('Name of the referent.', { default: '' }),
});
export type LocalObjectReference = Static<typeof LocalObjectReferenceSchema>;

// ---------------------------------------------------------------------------------------------
// Environment

export const ObjectFieldSelectorSchema = atomicObject('Selects a field of the pod.', {
  apiVersion: string('Version of the schema fieldPath is written in; v1 by default.'),
  fieldPath: string('Path of the field, e.g. metadata.name, status.podIP or metadata.labels[\'app\'].'),
}, ['fieldPath']);
export type ObjectFieldSelector = Static<typeof ObjectFieldSelectorSchema>;

export const ResourceFieldSelectorSchema = atomicObject('Selects a resource request or limit of a container.', {
  containerName: string('The container; required for volumes, optional for env vars (defaults to the same container).'),
  resource: string('The resource, e.g. limits.cpu or requests.memory.'),
  divisor: quantity('Unit the value is expressed in; 1 by default.'),
}, ['resource']);
export type ResourceFieldSelector = Static<typeof ResourceFieldSelectorSchema>;

export const ConfigMapKeySelectorSchema = atomicObject('Selects a key of a ConfigMap.', {
  name: string('Name of the ConfigMap.', { default: '' }),
  key: string('The key to select.'),
  optional: boolean('When true, a missing ConfigMap or key is not an error.'),
}, ['key']);
export type ConfigMapKeySelector = Static<typeof ConfigMapKeySelectorSchema>;

export const SecretKeySelectorSchema = atomicObject('Selects a key of a Secret.', {
  name: string('Name of the Secret.', { default: '' }),
  key: string('The key to select.'),
  optional: boolean('When true, a missing Secret or key is not an error.'),
}, ['key']);
export type SecretKeySelector = Static<typeof SecretKeySelectorSchema>;

export const EnvVarSourceSchema = object('Where an environment variable takes its value from. Exactly one source may be set.', {
  fieldRef: describe(ObjectFieldSelectorSchema, 'A field of the pod: metadata.name, metadata.namespace, metadata.uid, metadata.labels[\'<key>\'], metadata.annotations[\'<key>\'], spec.nodeName, spec.serviceAccountName, status.hostIP, status.hostIPs, status.podIP or status.podIPs.'),
  resourceFieldRef: describe(ResourceFieldSelectorSchema, 'A resource limit or request of a container.'),
  configMapKeyRef: describe(ConfigMapKeySelectorSchema, 'A key of a ConfigMap in the pod\'s namespace.'),
  secretKeyRef: describe(SecretKeySelectorSchema, 'A key of a Secret in the pod\'s namespace.'),
});
export type EnvVarSource = Static<typeof EnvVarSourceSchema>;

export const EnvVarSchema = object('An environment variable of a container.', {
  name: string('Name of the variable.'),
  value: string('The value. $(VAR) references to variables defined earlier are expanded; $$ escapes a dollar.'),
  valueFrom: describe(EnvVarSourceSchema, 'Takes the value from elsewhere; cannot be combined with value.'),
}, ['name']);
export type EnvVar = Static<typeof EnvVarSchema>;

export const ConfigMapEnvSourceSchema = object('Imports every key of a ConfigMap as environment variables.', {
  name: string('Name of the ConfigMap.', { default: '' }),
  optional: boolean('When true, a missing ConfigMap is not an error.'),
});

export const SecretEnvSourceSchema = object('Imports every key of a Secret as environment variables.', {
  name: string('Name of the Secret.', { default: '' }),
  optional: boolean('When true, a missing Secret is not an error.'),
});

export const EnvFromSourceSchema = object('A source of a set of environment variables.', {
  prefix: string('Prefix added to every imported variable name.'),
  configMapRef: describe(ConfigMapEnvSourceSchema, 'The ConfigMap to import.'),
  secretRef: describe(SecretEnvSourceSchema, 'The Secret to import.'),
});
export type EnvFromSource = Static<typeof EnvFromSourceSchema>;

// ---------------------------------------------------------------------------------------------
// Ports, resources, mounts

export const ContainerPortSchema = object('A network port a container listens on.', {
  name: string('IANA service name of the port, unique within the pod; Services refer to ports by it.'),
  hostPort: int32('Port on the host to expose the container port on; rarely needed.'),
  containerPort: int32('Port number on the pod\'s IP address (1-65535).'),
  protocol: { ...oneOf(['TCP', 'UDP', 'SCTP'], 'Protocol of the port.'), default: 'TCP' },
  hostIP: string('Host IP to bind the host port to.'),
}, ['containerPort']);
export type ContainerPort = Static<typeof ContainerPortSchema>;

export const ResourceClaimSchema = object('A resource claim of the pod that a container uses.', {
  name: string('Name of an entry in the pod\'s spec.resourceClaims.'),
  request: string('Only this request of the claim, when set.'),
}, ['name']);

export const ResourceRequirementsSchema = object('Compute resources a container requests and is limited to.', {
  limits: resourceList('The most of each resource the container may use (cpu, memory, ephemeral-storage, ...).'),
  requests: resourceList('The amount of each resource the container is guaranteed; defaults to the limit when only that is set.'),
  claims: list(ResourceClaimSchema, 'Dynamically allocated resources (from spec.resourceClaims) the container uses.', {
    listType: 'map', keys: ['name'],
  }),
});
export type ResourceRequirements = Static<typeof ResourceRequirementsSchema>;

export const VolumeMountSchema = object('Where a volume is mounted in a container.', {
  name: string('Name of the volume, as in spec.volumes.'),
  readOnly: boolean('Mount read-only.'),
  recursiveReadOnly: oneOf(['Disabled', 'IfPossible', 'Enabled'], 'Whether a read-only mount is read-only in its submounts too.'),
  mountPath: string('Path in the container to mount at; must not contain a colon.'),
  subPath: string('Path inside the volume to mount instead of its root.'),
  mountPropagation: oneOf(['None', 'HostToContainer', 'Bidirectional'], 'How mounts propagate between host and container.'),
  subPathExpr: string('Like subPath, with $(VAR) expanded from the container\'s environment.'),
}, ['name', 'mountPath']);
export type VolumeMount = Static<typeof VolumeMountSchema>;

export const VolumeDeviceSchema = object('A raw block volume exposed to a container as a device.', {
  name: string('Name of a persistentVolumeClaim volume of the pod.'),
  devicePath: string('Path of the device inside the container.'),
}, ['name', 'devicePath']);

// ---------------------------------------------------------------------------------------------
// Probes and lifecycle hooks

export const ExecActionSchema = object('Runs a command inside the container.', {
  command: list(Type.String(), 'The command and its arguments, run directly (not in a shell); exit status 0 means success.'),
});
export type ExecAction = Static<typeof ExecActionSchema>;

export const HTTPHeaderSchema = object('An HTTP header.', {
  name: string('Header name.'),
  value: string('Header value.'),
}, ['name', 'value']);

export const HTTPGetActionSchema = object('Sends an HTTP GET request; a status from 200 to 399 means success.', {
  path: string('Path to request.'),
  port: intOrString('Port number or name of a container port.'),
  host: string('Host to connect to; the pod IP by default.'),
  scheme: oneOf(['HTTP', 'HTTPS'], 'Scheme; HTTP by default.'),
  httpHeaders: list(HTTPHeaderSchema, 'Extra headers to send.'),
}, ['port']);
export type HTTPGetAction = Static<typeof HTTPGetActionSchema>;

export const TCPSocketActionSchema = object('Opens a TCP connection; connecting means success.', {
  port: intOrString('Port number or name of a container port.'),
  host: string('Host to connect to; the pod IP by default.'),
}, ['port']);
export type TCPSocketAction = Static<typeof TCPSocketActionSchema>;

export const GRPCActionSchema = object('Calls the gRPC health checking protocol.', {
  port: int32('Port of the gRPC service.'),
  service: string('Service name to check; the server\'s overall health when empty.', { default: '' }),
}, ['port']);

export const SleepActionSchema = object('Waits before continuing.', {
  seconds: int64('Seconds to sleep.'),
}, ['seconds']);

export const ProbeSchema = object('A periodic check of a container\'s health. Exactly one action may be set.', {
  exec: describe(ExecActionSchema, 'Run a command.'),
  httpGet: describe(HTTPGetActionSchema, 'Send an HTTP GET request.'),
  tcpSocket: describe(TCPSocketActionSchema, 'Open a TCP connection.'),
  grpc: describe(GRPCActionSchema, 'Call the gRPC health service.'),
  initialDelaySeconds: int32('Seconds after the container starts before the first probe.'),
  timeoutSeconds: int32('Seconds a probe may take; 1 by default.'),
  periodSeconds: int32('Seconds between probes; 10 by default.'),
  successThreshold: int32('Consecutive successes needed after a failure; 1 by default, and must be 1 for liveness and startup.'),
  failureThreshold: int32('Consecutive failures that count as failed; 3 by default.'),
  terminationGracePeriodSeconds: int64('Grace period for a container killed by this probe, overriding the pod\'s.'),
});
export type Probe = Static<typeof ProbeSchema>;

export const LifecycleHandlerSchema = object('An action run at a lifecycle event. Exactly one may be set.', {
  exec: describe(ExecActionSchema, 'Run a command.'),
  httpGet: describe(HTTPGetActionSchema, 'Send an HTTP GET request.'),
  tcpSocket: describe(TCPSocketActionSchema, 'Deprecated; accepted for compatibility, never run.'),
  sleep: describe(SleepActionSchema, 'Wait.'),
});
export type LifecycleHandler = Static<typeof LifecycleHandlerSchema>;

export const LifecycleSchema = object('Actions run when a container starts and before it stops.', {
  postStart: describe(LifecycleHandlerSchema, 'Runs right after the container is created; the container is killed if it fails.'),
  preStop: describe(LifecycleHandlerSchema, 'Runs before the container is stopped; the grace period counts down meanwhile.'),
  stopSignal: string('Signal sent to stop the container, e.g. SIGTERM; the image\'s own by default.'),
});
export type Lifecycle = Static<typeof LifecycleSchema>;

// ---------------------------------------------------------------------------------------------
// Security

export const CapabilitiesSchema = object('Linux capabilities to add to or drop from the runtime default set.', {
  add: list(Type.String(), 'Capabilities to add, e.g. NET_ADMIN.'),
  drop: list(Type.String(), 'Capabilities to drop, e.g. ALL.'),
});

export const SELinuxOptionsSchema = object('SELinux labels to apply.', {
  user: string('SELinux user.'),
  role: string('SELinux role.'),
  type: string('SELinux type.'),
  level: string('SELinux level.'),
});

export const SeccompProfileSchema = object('A seccomp profile.', {
  type: oneOf(['Unconfined', 'RuntimeDefault', 'Localhost'], 'Which kind of profile.'),
  localhostProfile: string('For Localhost: path of the profile relative to the kubelet\'s seccomp directory.'),
}, ['type']);

export const AppArmorProfileSchema = object('An AppArmor profile.', {
  type: oneOf(['Unconfined', 'RuntimeDefault', 'Localhost'], 'Which kind of profile.'),
  localhostProfile: string('For Localhost: name of a profile loaded on the node.'),
}, ['type']);

export const WindowsSecurityContextOptionsSchema = object('Windows-specific settings.', {
  gmsaCredentialSpecName: string('Name of the GMSA credential spec to use.'),
  gmsaCredentialSpec: string('Content of the GMSA credential spec.'),
  runAsUserName: string('User name to run the entry point as.'),
  hostProcess: boolean('Run as a host process container.'),
});

export const SecurityContextSchema = object('Security settings of one container; they override the pod\'s.', {
  capabilities: describe(CapabilitiesSchema, 'Capabilities to add or drop.'),
  privileged: boolean('Run as privileged: equivalent to root on the host.'),
  seLinuxOptions: describe(SELinuxOptionsSchema, 'SELinux context of the container.'),
  windowsOptions: describe(WindowsSecurityContextOptionsSchema, 'Windows-specific settings.'),
  runAsUser: int64('UID to run the entry point as.'),
  runAsGroup: int64('GID to run the entry point as.'),
  runAsNonRoot: boolean('Refuse to start the container if it would run as UID 0.'),
  readOnlyRootFilesystem: boolean('Mount the root filesystem read-only.'),
  allowPrivilegeEscalation: boolean('Whether a process may gain more privileges than its parent (no_new_privs unset).'),
  procMount: oneOf(['Default', 'Unmasked'], 'Which proc mount to use.'),
  seccompProfile: describe(SeccompProfileSchema, 'Seccomp profile of the container.'),
  appArmorProfile: describe(AppArmorProfileSchema, 'AppArmor profile of the container.'),
});
export type SecurityContext = Static<typeof SecurityContextSchema>;

export const SysctlSchema = object('A namespaced kernel parameter.', {
  name: string('Parameter name.'),
  value: string('Parameter value.'),
}, ['name', 'value']);

export const PodSecurityContextSchema = object('Security settings of the whole pod; containers may override some.', {
  seLinuxOptions: describe(SELinuxOptionsSchema, 'SELinux context of every container.'),
  windowsOptions: describe(WindowsSecurityContextOptionsSchema, 'Windows-specific settings.'),
  runAsUser: int64('UID to run entry points as.'),
  runAsGroup: int64('GID to run entry points as.'),
  runAsNonRoot: boolean('Refuse to start containers that would run as UID 0.'),
  supplementalGroups: list(Type.Integer({ format: 'int64' }), 'Extra GIDs for the first process of each container.'),
  supplementalGroupsPolicy: oneOf(['Merge', 'Strict'], 'Whether groups from the image\'s /etc/group are added too.'),
  fsGroup: int64('GID that owns supporting volumes and is added to every container\'s groups.'),
  sysctls: list(SysctlSchema, 'Namespaced kernel parameters for the pod.'),
  fsGroupChangePolicy: oneOf(['OnRootMismatch', 'Always'], 'When volume ownership is changed to fsGroup.'),
  seccompProfile: describe(SeccompProfileSchema, 'Seccomp profile of every container.'),
  appArmorProfile: describe(AppArmorProfileSchema, 'AppArmor profile of every container.'),
  seLinuxChangePolicy: oneOf(['Recursive', 'MountOption'], 'How the SELinux label is applied to volumes.'),
});
export type PodSecurityContext = Static<typeof PodSecurityContextSchema>;

// ---------------------------------------------------------------------------------------------
// Containers

export const ContainerResizePolicySchema = object('What resizing a resource in place does to a container.', {
  resourceName: string('The resource, cpu or memory.'),
  restartPolicy: oneOf(['NotRequired', 'RestartContainer'], 'Whether the container restarts to apply the new size.'),
}, ['resourceName', 'restartPolicy']);

const containerProperties = {
  name: string('Name of the container, a DNS label unique within the pod.'),
  image: string('Container image reference; for Granary\'s host runtimes, the package to install.'),
  command: list(Type.String(), 'Entry point, replacing the image\'s ENTRYPOINT; not run in a shell. $(VAR) references are expanded.'),
  args: list(Type.String(), 'Arguments, replacing the image\'s CMD. $(VAR) references are expanded.'),
  workingDir: string('Working directory; the image\'s by default.'),
  ports: list(ContainerPortSchema, 'Ports the container exposes (informational; any listening port is reachable).', {
    listType: 'map', keys: ['containerPort', 'protocol'], patchStrategy: 'merge', patchMergeKey: 'containerPort',
  }),
  envFrom: list(EnvFromSourceSchema, 'Sources of environment variables; on conflicts the last source wins and env wins over all.'),
  env: keyedList(EnvVarSchema, 'name', 'Environment variables.'),
  resources: describe(ResourceRequirementsSchema, 'Compute resources of the container.'),
  resizePolicy: list(ContainerResizePolicySchema, 'How each resource may be resized in place.'),
  restartPolicy: oneOf(['Always'], 'Only for init containers: Always makes it a sidecar that runs for the life of the pod.'),
  volumeMounts: keyedList(VolumeMountSchema, 'mountPath', 'Volumes mounted into the container.'),
  volumeDevices: keyedList(VolumeDeviceSchema, 'devicePath', 'Block devices exposed to the container.'),
  livenessProbe: describe(ProbeSchema, 'Restarts the container when it fails.'),
  readinessProbe: describe(ProbeSchema, 'Takes the container out of service while it fails.'),
  startupProbe: describe(ProbeSchema, 'Holds the other probes back until it succeeds once; the container restarts if it fails.'),
  lifecycle: describe(LifecycleSchema, 'Actions on start and before stop.'),
  terminationMessagePath: string('File whose content becomes the termination message; /dev/termination-log by default.'),
  terminationMessagePolicy: oneOf(['File', 'FallbackToLogsOnError'], 'Where the termination message comes from.'),
  imagePullPolicy: oneOf(['Always', 'Never', 'IfNotPresent'], 'When to pull the image; Always for :latest or untagged images, IfNotPresent otherwise.'),
  securityContext: describe(SecurityContextSchema, 'Security settings of the container.'),
  stdin: boolean('Keep a stdin buffer open for the container.'),
  stdinOnce: boolean('Close stdin after the first attached client disconnects.'),
  tty: boolean('Allocate a TTY (needs stdin).'),
};

export const ContainerSchema = object('A process (or group of processes) run as part of a pod.', containerProperties, ['name']);
export type Container = Static<typeof ContainerSchema>;

export const EphemeralContainerSchema = object('A temporary container added to a running pod for debugging; never restarted.', {
  ...containerProperties,
  targetContainerName: string('Container whose process namespace this one joins.'),
}, ['name']);
export type EphemeralContainer = Static<typeof EphemeralContainerSchema>;

// ---------------------------------------------------------------------------------------------
// Volumes

export const KeyToPathSchema = object('Maps a key to a file path in a volume.', {
  key: string('The key.'),
  path: string('Relative path of the file; may not contain ..'),
  mode: int32('Permission bits of the file (0 to 0777); the volume\'s defaultMode otherwise.'),
}, ['key', 'path']);
export type KeyToPath = Static<typeof KeyToPathSchema>;

export const ConfigMapVolumeSourceSchema = object('Exposes the keys of a ConfigMap as files.', {
  name: string('Name of the ConfigMap.', { default: '' }),
  items: list(KeyToPathSchema, 'Only these keys, at these paths; every key at its own name otherwise.'),
  defaultMode: int32('Permission bits of the files (0 to 0777); 0644 by default.'),
  optional: boolean('When true, a missing ConfigMap or key is not an error.'),
});

export const SecretVolumeSourceSchema = object('Exposes the keys of a Secret as files.', {
  secretName: string('Name of the Secret.'),
  items: list(KeyToPathSchema, 'Only these keys, at these paths; every key at its own name otherwise.'),
  defaultMode: int32('Permission bits of the files (0 to 0777); 0644 by default.'),
  optional: boolean('When true, a missing Secret or key is not an error.'),
});

export const EmptyDirVolumeSourceSchema = object('An empty directory that lives as long as the pod.', {
  medium: string('Storage medium: empty for the node\'s disk, Memory for tmpfs.'),
  sizeLimit: quantity('Upper bound of the space the directory may use.'),
});

export const DownwardAPIVolumeFileSchema = object('A file holding a field of the pod.', {
  path: string('Relative path of the file; may not contain ..'),
  fieldRef: describe(ObjectFieldSelectorSchema, 'A field of the pod: metadata.name, metadata.namespace, metadata.labels, metadata.annotations or metadata.uid.'),
  resourceFieldRef: describe(ResourceFieldSelectorSchema, 'A resource limit or request of a container.'),
  mode: int32('Permission bits of the file (0 to 0777).'),
}, ['path']);

export const DownwardAPIVolumeSourceSchema = object('Exposes fields of the pod as files.', {
  items: list(DownwardAPIVolumeFileSchema, 'The files.'),
  defaultMode: int32('Permission bits of the files (0 to 0777); 0644 by default.'),
});

export const HostPathVolumeSourceSchema = object('A file or directory of the host, mounted as is.', {
  path: string('Path on the host.'),
  type: oneOf(['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'], 'What must exist at the path; empty skips the check.'),
}, ['path']);

export const PersistentVolumeClaimVolumeSourceSchema = object('Mounts the volume bound to a PersistentVolumeClaim.', {
  claimName: string('Name of the claim in the pod\'s namespace.'),
  readOnly: boolean('Mount read-only.'),
}, ['claimName']);

export const ConfigMapProjectionSchema = object('The keys of a ConfigMap, projected into a volume.', {
  name: string('Name of the ConfigMap.', { default: '' }),
  items: list(KeyToPathSchema, 'Only these keys, at these paths.'),
  optional: boolean('When true, a missing ConfigMap or key is not an error.'),
});

export const SecretProjectionSchema = object('The keys of a Secret, projected into a volume.', {
  name: string('Name of the Secret.', { default: '' }),
  items: list(KeyToPathSchema, 'Only these keys, at these paths.'),
  optional: boolean('When true, a missing Secret or key is not an error.'),
});

export const DownwardAPIProjectionSchema = object('Fields of the pod, projected into a volume.', {
  items: list(DownwardAPIVolumeFileSchema, 'The files.'),
});

export const ServiceAccountTokenProjectionSchema = object('A token of the pod\'s service account, projected into a volume and refreshed.', {
  audience: string('Intended audience of the token; the API server by default.'),
  expirationSeconds: int64('Requested lifetime of the token; 1 hour by default, at least 10 minutes.'),
  path: string('Relative path of the token file.'),
}, ['path']);

export const ClusterTrustBundleProjectionSchema = object('Certificates from ClusterTrustBundle objects, projected into a file.', {
  name: string('A single bundle, by name.'),
  signerName: string('All bundles of this signer (with labelSelector).'),
  labelSelector: describe(LabelSelectorSchema, 'Bundles of signerName matching these labels.'),
  optional: boolean('When true, missing bundles are not an error.'),
  path: string('Relative path of the file.'),
}, ['path']);

export const VolumeProjectionSchema = object('One source of a projected volume. Exactly one may be set.', {
  secret: describe(SecretProjectionSchema, 'Keys of a Secret.'),
  downwardAPI: describe(DownwardAPIProjectionSchema, 'Fields of the pod.'),
  configMap: describe(ConfigMapProjectionSchema, 'Keys of a ConfigMap.'),
  serviceAccountToken: describe(ServiceAccountTokenProjectionSchema, 'A service account token.'),
  clusterTrustBundle: describe(ClusterTrustBundleProjectionSchema, 'Trust anchors from ClusterTrustBundles.'),
});

export const ProjectedVolumeSourceSchema = object('Several sources combined into one directory.', {
  sources: list(VolumeProjectionSchema, 'The sources.'),
  defaultMode: int32('Permission bits of the files (0 to 0777); 0644 by default.'),
});

export const NFSVolumeSourceSchema = object('An NFS export.', {
  server: string('Host name or IP address of the NFS server.'),
  path: string('Path of the export.'),
  readOnly: boolean('Mount read-only.'),
}, ['server', 'path']);

export const CSIVolumeSourceSchema = object('An ephemeral volume from a CSI driver.', {
  driver: string('Name of the CSI driver.'),
  readOnly: boolean('Mount read-only.'),
  fsType: string('Filesystem type, e.g. ext4.'),
  volumeAttributes: stringMap('Driver-specific properties.'),
  nodePublishSecretRef: describe(LocalObjectReferenceSchema, 'Secret with what the driver needs to publish the volume.'),
}, ['driver']);

export const EphemeralVolumeSourceSchema = object('A volume from a PersistentVolumeClaim created with the pod and deleted with it.', {
  volumeClaimTemplate: object('Template of the claim.', {
    metadata: describe(ObjectMetaSchema, 'Labels and annotations copied to the claim.'),
    spec: freeform('Spec of the claim (a PersistentVolumeClaimSpec).'),
  }, ['spec']),
});

export const ImageVolumeSourceSchema = object('The content of an OCI image or artifact, mounted read-only.', {
  reference: string('Image reference.'),
  pullPolicy: oneOf(['Always', 'Never', 'IfNotPresent'], 'When to pull the image.'),
});

export const VolumeSchema = object('A named volume the containers of the pod can mount. Exactly one source may be set.', {
  name: string('Name of the volume, a DNS label unique within the pod.'),
  hostPath: describe(HostPathVolumeSourceSchema, 'A path on the host.'),
  emptyDir: describe(EmptyDirVolumeSourceSchema, 'A scratch directory for the life of the pod.'),
  secret: describe(SecretVolumeSourceSchema, 'The keys of a Secret.'),
  nfs: describe(NFSVolumeSourceSchema, 'An NFS export.'),
  persistentVolumeClaim: describe(PersistentVolumeClaimVolumeSourceSchema, 'The volume of a PersistentVolumeClaim.'),
  downwardAPI: describe(DownwardAPIVolumeSourceSchema, 'Fields of the pod.'),
  configMap: describe(ConfigMapVolumeSourceSchema, 'The keys of a ConfigMap.'),
  projected: describe(ProjectedVolumeSourceSchema, 'Several sources in one directory.'),
  csi: describe(CSIVolumeSourceSchema, 'An ephemeral CSI volume.'),
  ephemeral: describe(EphemeralVolumeSourceSchema, 'A claim created and deleted with the pod.'),
  image: describe(ImageVolumeSourceSchema, 'An OCI image or artifact.'),
}, ['name']);
export type Volume = Static<typeof VolumeSchema>;

// ---------------------------------------------------------------------------------------------
// Scheduling

const nodeSelectorOperators = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'] as const;

export const NodeSelectorRequirementSchema = object('A requirement on a node label or field.', {
  key: string('The label key or field name.'),
  operator: oneOf(nodeSelectorOperators, 'How the value relates to values.'),
  values: list(Type.String(), 'Values for In and NotIn; one integer for Gt and Lt; empty for Exists and DoesNotExist.'),
}, ['key', 'operator']);

export const NodeSelectorTermSchema = atomicObject('Requirements a node must all meet.', {
  matchExpressions: list(NodeSelectorRequirementSchema, 'Requirements on node labels.'),
  matchFields: list(NodeSelectorRequirementSchema, 'Requirements on node fields (metadata.name).'),
});

export const NodeSelectorSchema = atomicObject('Terms of which a node must meet at least one.', {
  nodeSelectorTerms: list(NodeSelectorTermSchema, 'The terms, ORed.'),
}, ['nodeSelectorTerms']);

export const PreferredSchedulingTermSchema = object('A weighted preference for some nodes.', {
  weight: int32('Weight of the preference, 1 to 100.'),
  preference: describe(NodeSelectorTermSchema, 'The nodes preferred.'),
}, ['weight', 'preference']);

export const NodeAffinitySchema = object('Which nodes the pod may or prefers to run on.', {
  requiredDuringSchedulingIgnoredDuringExecution: describe(NodeSelectorSchema, 'Nodes the pod may be scheduled on; not re-checked later.'),
  preferredDuringSchedulingIgnoredDuringExecution: list(PreferredSchedulingTermSchema, 'Nodes the scheduler prefers, by summed weight.'),
});

export const PodAffinityTermSchema = object('A set of pods, and the topology domain relation to them.', {
  labelSelector: describe(LabelSelectorSchema, 'The pods.'),
  namespaces: list(Type.String(), 'Namespaces of the pods; the pod\'s own namespace when this and namespaceSelector are empty.'),
  topologyKey: string('Node label whose value defines a domain, e.g. kubernetes.io/hostname.'),
  namespaceSelector: describe(LabelSelectorSchema, 'Namespaces of the pods, by label; added to namespaces.'),
  matchLabelKeys: list(Type.String(), 'Label keys whose values on the incoming pod are added to labelSelector as In requirements.'),
  mismatchLabelKeys: list(Type.String(), 'Label keys whose values on the incoming pod are added to labelSelector as NotIn requirements.'),
}, ['topologyKey']);

export const WeightedPodAffinityTermSchema = object('A weighted pod affinity preference.', {
  weight: int32('Weight of the preference, 1 to 100.'),
  podAffinityTerm: describe(PodAffinityTermSchema, 'The term.'),
}, ['weight', 'podAffinityTerm']);

export const PodAffinitySchema = object('Pods this pod should run in the same domain as.', {
  requiredDuringSchedulingIgnoredDuringExecution: list(PodAffinityTermSchema, 'Terms that must all hold at scheduling time.'),
  preferredDuringSchedulingIgnoredDuringExecution: list(WeightedPodAffinityTermSchema, 'Terms the scheduler prefers, by summed weight.'),
});

export const PodAntiAffinitySchema = object('Pods this pod should not run in the same domain as.', {
  requiredDuringSchedulingIgnoredDuringExecution: list(PodAffinityTermSchema, 'Terms that must all hold at scheduling time.'),
  preferredDuringSchedulingIgnoredDuringExecution: list(WeightedPodAffinityTermSchema, 'Terms the scheduler prefers, by summed weight.'),
});

export const AffinitySchema = object('Scheduling constraints relative to nodes and other pods.', {
  nodeAffinity: describe(NodeAffinitySchema, 'Constraints on nodes.'),
  podAffinity: describe(PodAffinitySchema, 'Co-location with other pods.'),
  podAntiAffinity: describe(PodAntiAffinitySchema, 'Separation from other pods.'),
});
export type Affinity = Static<typeof AffinitySchema>;

const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

export const TolerationSchema = object('Lets the pod run on nodes with a matching taint.', {
  key: string('Taint key to match; empty with operator Exists matches every taint.'),
  operator: oneOf(['Exists', 'Equal'], 'Exists matches any value; Equal (the default) needs value to match.'),
  value: string('Taint value to match with Equal.'),
  effect: oneOf(taintEffects, 'Taint effect to match; empty matches all effects.'),
  tolerationSeconds: int64('For NoExecute: how long the pod stays bound after the taint appears; forever when unset.'),
});
export type Toleration = Static<typeof TolerationSchema>;

export const TopologySpreadConstraintSchema = object('How evenly matching pods are spread across topology domains.', {
  maxSkew: int32('Largest allowed difference in matching pods between two domains.'),
  topologyKey: string('Node label whose value defines a domain.'),
  whenUnsatisfiable: oneOf(['DoNotSchedule', 'ScheduleAnyway'], 'What the scheduler does when the constraint cannot be met.'),
  labelSelector: describe(LabelSelectorSchema, 'The pods counted.'),
  minDomains: int32('Minimum number of eligible domains; fewer count as having zero matching pods.'),
  nodeAffinityPolicy: oneOf(['Ignore', 'Honor'], 'Whether the pod\'s node affinity limits the domains considered.'),
  nodeTaintsPolicy: oneOf(['Ignore', 'Honor'], 'Whether node taints limit the domains considered.'),
  matchLabelKeys: list(Type.String(), 'Label keys whose values on the incoming pod narrow labelSelector.'),
}, ['maxSkew', 'topologyKey', 'whenUnsatisfiable']);

export const PodReadinessGateSchema = object('An extra condition the pod needs to be ready.', {
  conditionType: string('A condition type in status.conditions.'),
}, ['conditionType']);

export const PodSchedulingGateSchema = object('Holds the pod back from scheduling while present.', {
  name: string('Name of the gate.'),
}, ['name']);

export const HostAliasSchema = object('An entry added to the pod\'s /etc/hosts.', {
  ip: string('IP address.'),
  hostnames: list(Type.String(), 'Host names for the address.'),
}, ['ip']);

export const PodDNSConfigOptionSchema = object('A resolver option.', {
  name: string('Option name.'),
  value: string('Option value.'),
});

export const PodDNSConfigSchema = object('DNS settings merged into those dnsPolicy produces.', {
  nameservers: list(Type.String(), 'Name server IP addresses (at most 3 in total).'),
  searches: list(Type.String(), 'Search domains.'),
  options: list(PodDNSConfigOptionSchema, 'Resolver options; these override options of the same name.'),
});

export const PodOSSchema = object('The operating system the pod needs.', {
  name: string('linux or windows.'),
}, ['name']);

export const PodResourceClaimSchema = object('A dynamically allocated resource the pod uses. Exactly one source may be set.', {
  name: string('Name of the claim within the pod.'),
  resourceClaimName: string('An existing ResourceClaim in the pod\'s namespace.'),
  resourceClaimTemplateName: string('A ResourceClaimTemplate to create a claim for this pod from.'),
}, ['name']);

// ---------------------------------------------------------------------------------------------
// Pod

export const PodSpecSchema = object('The desired state of a pod.', {
  volumes: list(VolumeSchema, 'Volumes the containers can mount.', {
    listType: 'map', keys: ['name'], patchStrategy: 'merge,retainKeys', patchMergeKey: 'name',
  }),
  initContainers: keyedList(ContainerSchema, 'name', 'Containers run to completion, in order, before the app containers start; with restartPolicy Always, sidecars.'),
  containers: keyedList(ContainerSchema, 'name', 'The containers of the pod; at least one.'),
  ephemeralContainers: keyedList(EphemeralContainerSchema, 'name', 'Debugging containers added to the running pod through its ephemeralcontainers subresource.'),
  restartPolicy: oneOf(['Always', 'OnFailure', 'Never'], 'When containers are restarted after they exit; Always by default.'),
  terminationGracePeriodSeconds: int64('Seconds between the stop signal and the kill on deletion; 30 by default.'),
  activeDeadlineSeconds: int64('Seconds the pod may be active before it is failed.'),
  dnsPolicy: oneOf(['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'], 'How the pod\'s DNS is configured; ClusterFirst by default.'),
  nodeSelector: stringMap('Labels a node must have for the pod to run there.', 'atomic'),
  serviceAccountName: string('Service account the pod runs as.'),
  serviceAccount: string('Deprecated alias of serviceAccountName.'),
  automountServiceAccountToken: boolean('Whether a service account token is mounted automatically.'),
  nodeName: string('The node the pod runs on. Set by a scheduler (or directly, bypassing scheduling); cannot change afterwards.'),
  hostNetwork: boolean('Use the host\'s network namespace.'),
  hostPID: boolean('Use the host\'s PID namespace.'),
  hostIPC: boolean('Use the host\'s IPC namespace.'),
  shareProcessNamespace: boolean('Share one PID namespace among the pod\'s containers.'),
  securityContext: describe(PodSecurityContextSchema, 'Pod-level security settings.'),
  imagePullSecrets: keyedList(LocalObjectReferenceSchema, 'name', 'Secrets with credentials for pulling the images.'),
  hostname: string('Host name of the pod; the pod\'s name by default.'),
  subdomain: string('Subdomain, giving the pod the name <hostname>.<subdomain>.<namespace>.svc.<cluster domain>.'),
  affinity: describe(AffinitySchema, 'Scheduling constraints.'),
  schedulerName: string('Scheduler responsible for the pod; default-scheduler by default.'),
  tolerations: list(TolerationSchema, 'Taints the pod tolerates.'),
  hostAliases: list(HostAliasSchema, 'Entries added to /etc/hosts.', {
    listType: 'map', keys: ['ip'], patchStrategy: 'merge', patchMergeKey: 'ip',
  }),
  priorityClassName: string('PriorityClass giving the pod its priority.'),
  priority: int32('Priority of the pod, resolved from priorityClassName on admission.'),
  dnsConfig: describe(PodDNSConfigSchema, 'Extra DNS settings.'),
  readinessGates: list(PodReadinessGateSchema, 'Extra conditions the pod needs to be ready.'),
  runtimeClassName: string('RuntimeClass to run the pod with.'),
  enableServiceLinks: boolean('Whether Docker-link style variables of services are injected; true by default.'),
  preemptionPolicy: oneOf(['PreemptLowerPriority', 'Never'], 'Whether the pod may preempt lower-priority pods.'),
  overhead: resourceList('Resources the pod\'s sandbox uses on top of its containers.'),
  topologySpreadConstraints: list(TopologySpreadConstraintSchema, 'How the pod spreads with its peers.', {
    listType: 'map', keys: ['topologyKey', 'whenUnsatisfiable'], patchStrategy: 'merge', patchMergeKey: 'topologyKey',
  }),
  setHostnameAsFQDN: boolean('Set the kernel host name to the pod\'s fully qualified domain name.'),
  os: describe(PodOSSchema, 'Operating system the pod needs.'),
  hostUsers: boolean('Use the host\'s user namespace; false runs the pod in its own.'),
  schedulingGates: keyedList(PodSchedulingGateSchema, 'name', 'Gates that hold scheduling back while present.'),
  resourceClaims: list(PodResourceClaimSchema, 'Dynamically allocated resources of the pod.', {
    listType: 'map', keys: ['name'], patchStrategy: 'merge,retainKeys', patchMergeKey: 'name',
  }),
  resources: describe(ResourceRequirementsSchema, 'Resources of the pod as a whole, shared by its containers.'),
}, ['containers']);
export type PodSpec = Static<typeof PodSpecSchema>;

const conditionStatus = ['True', 'False', 'Unknown'] as const;

export const PodConditionSchema = object('One aspect of the state of a pod.', {
  type: string('PodScheduled, Initialized, ContainersReady, Ready, PodReadyToStartContainers, or a readiness gate.'),
  observedGeneration: int64('The metadata.generation the condition was computed from.'),
  status: oneOf(conditionStatus, 'Whether the condition holds.'),
  lastProbeTime: timestamp('When the condition was last probed.'),
  lastTransitionTime: timestamp('When status last changed.'),
  reason: string('CamelCase reason for the last transition.'),
  message: string('Human-readable detail about the last transition.'),
}, ['type', 'status']);
export type PodCondition = Static<typeof PodConditionSchema>;

export const PodIPSchema = object('An IP address of the pod.', {
  ip: string('The address.'),
}, ['ip']);

export const HostIPSchema = object('An IP address of the pod\'s node.', {
  ip: string('The address.'),
}, ['ip']);

export const ContainerStateWaitingSchema = object('The container is not running yet.', {
  reason: string('Why, e.g. ContainerCreating, CrashLoopBackOff or ImagePullBackOff.'),
  message: string('Detail.'),
});

export const ContainerStateRunningSchema = object('The container is running.', {
  startedAt: timestamp('When the container last (re)started.'),
});

export const ContainerStateTerminatedSchema = object('The container has exited.', {
  exitCode: int32('Exit status of the last run.'),
  signal: int32('Signal that ended the last run.'),
  reason: string('Why, e.g. Completed, Error or OOMKilled.'),
  message: string('Detail, such as the termination message.'),
  startedAt: timestamp('When the last run started.'),
  finishedAt: timestamp('When the last run ended.'),
  containerID: string('ID of the exited container, as <type>://<id>.'),
}, ['exitCode']);

export const ContainerStateSchema = object('The state of a container. At most one member is set; none means waiting.', {
  waiting: describe(ContainerStateWaitingSchema, 'Not running yet.'),
  running: describe(ContainerStateRunningSchema, 'Running.'),
  terminated: describe(ContainerStateTerminatedSchema, 'Exited.'),
});
export type ContainerState = Static<typeof ContainerStateSchema>;

export const VolumeMountStatusSchema = object('The state of a volume mount.', {
  name: string('Name of the volume mount.'),
  mountPath: string('Path of the mount.'),
  readOnly: boolean('Whether the mount is read-only.'),
  recursiveReadOnly: oneOf(['Disabled', 'IfPossible', 'Enabled'], 'Whether submounts are read-only too.'),
}, ['name', 'mountPath']);

export const LinuxContainerUserSchema = object('The Linux identity of the container\'s first process.', {
  uid: int64('Its UID.'),
  gid: int64('Its primary GID.'),
  supplementalGroups: list(Type.Integer({ format: 'int64' }), 'Its supplementary GIDs.'),
}, ['uid', 'gid']);

export const ContainerUserSchema = object('The identity of the container\'s first process.', {
  linux: describe(LinuxContainerUserSchema, 'On Linux.'),
});

export const ResourceHealthSchema = object('The health of one device.', {
  resourceID: string('Device ID.'),
  health: string('Healthy, Unhealthy or Unknown.'),
}, ['resourceID']);

export const ResourceStatusSchema = object('The health of the devices of one resource.', {
  name: string('The resource, e.g. a device plugin resource or claim:<claim>/<request>.'),
  resources: list(ResourceHealthSchema, 'Health of each device.', { listType: 'map', keys: ['resourceID'] }),
}, ['name']);

export const ContainerStatusSchema = object('The observed state of one container, reported by the node.', {
  name: string('Name of the container, as in the spec.'),
  state: describe(ContainerStateSchema, 'Current state.'),
  lastState: describe(ContainerStateSchema, 'State of the previous run, usually its termination.'),
  ready: boolean('Whether the container passes its readiness probe.'),
  restartCount: int32('How many times the container has been restarted.'),
  image: string('The image (package) the container runs.'),
  imageID: string('Exact identity of that image, e.g. its digest.'),
  containerID: string('ID of the container, as <type>://<id>.'),
  started: boolean('Whether the container has started and passed its startup probe.'),
  allocatedResources: resourceList('Resources allocated to the container.'),
  resources: describe(ResourceRequirementsSchema, 'Resources the container actually runs with.'),
  volumeMounts: keyedList(VolumeMountStatusSchema, 'mountPath', 'State of the volume mounts.'),
  user: describe(ContainerUserSchema, 'Identity of the first process.'),
  allocatedResourcesStatus: keyedList(ResourceStatusSchema, 'name', 'Health of allocated devices.'),
  stopSignal: string('Signal the container is stopped with.'),
}, ['name', 'ready', 'restartCount', 'image', 'imageID']);
export type ContainerStatus = Static<typeof ContainerStatusSchema>;

export const PodResourceClaimStatusSchema = object('The ResourceClaim created for a pod resource claim from a template.', {
  name: string('Name of the entry in spec.resourceClaims.'),
  resourceClaimName: string('Name of the generated ResourceClaim; empty when none was needed.'),
}, ['name']);

export const PodStatusSchema = object('The observed state of a pod, reported by its node.', {
  observedGeneration: int64('The metadata.generation this status was computed from.'),
  phase: oneOf(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'], 'Where the pod is in its lifecycle.'),
  conditions: keyedList(PodConditionSchema, 'type', 'Current conditions.'),
  message: string('Human-readable detail about the pod\'s state.'),
  reason: string('CamelCase reason for the pod\'s state, e.g. Evicted.'),
  nominatedNodeName: string('Node the pod is expected to run on after preemption.'),
  hostIP: string('Primary IP address of the node.'),
  hostIPs: list(HostIPSchema, 'IP addresses of the node; the first is hostIP.', { listType: 'atomic', patchStrategy: 'merge', patchMergeKey: 'ip' }),
  podIP: string('Primary IP address of the pod.'),
  podIPs: keyedList(PodIPSchema, 'ip', 'IP addresses of the pod; the first is podIP.'),
  startTime: timestamp('When the node acknowledged the pod, before pulling images.'),
  initContainerStatuses: list(ContainerStatusSchema, 'State of each init container.'),
  containerStatuses: list(ContainerStatusSchema, 'State of each container.'),
  qosClass: oneOf(['Guaranteed', 'Burstable', 'BestEffort'], 'Quality of service class, derived from the resources.'),
  ephemeralContainerStatuses: list(ContainerStatusSchema, 'State of each ephemeral container.'),
  resize: string('Deprecated: progress of an in-place resize.'),
  resourceClaimStatuses: list(PodResourceClaimStatusSchema, 'Claims generated for the pod.', {
    listType: 'map', keys: ['name'], patchStrategy: 'merge,retainKeys', patchMergeKey: 'name',
  }),
});
export type PodStatus = Static<typeof PodStatusSchema>;

export const PodSchema = kindSchema('A group of containers that run together on one node.', {
  spec: describe(PodSpecSchema, 'Desired state of the pod.'),
  status: describe(PodStatusSchema, 'Observed state of the pod; written by its node.'),
});
export type Pod = Static<typeof PodSchema>;

export const BindingSchema = kindSchema('Binds a pod to a node; posted to the pod\'s binding subresource by a scheduler.', {
  target: describe(ObjectReferenceSchema, 'The node (kind Node, name) to bind to.'),
}, ['target']);
export type Binding = Static<typeof BindingSchema>;

// ---------------------------------------------------------------------------------------------
// Namespace, ConfigMap, Secret, ServiceAccount

export const NamespaceConditionSchema = object('One aspect of the state of a namespace.', {
  type: string('Condition type, e.g. NamespaceDeletionContentFailure.'),
  status: oneOf(conditionStatus, 'Whether the condition holds.'),
  lastTransitionTime: timestamp('When status last changed.'),
  reason: string('CamelCase reason for the last transition.'),
  message: string('Human-readable detail.'),
}, ['type', 'status']);

export const NamespaceSchema = kindSchema('A scope for names; deleting it deletes everything in it.', {
  spec: object('Desired state of the namespace.', {
    finalizers: list(Type.String(), 'Pending cleanup before the namespace can be removed; changed through the finalize subresource.'),
  }),
  status: object('Observed state of the namespace.', {
    phase: oneOf(['Active', 'Terminating'], 'Active, or Terminating once deletion was requested.'),
    conditions: keyedList(NamespaceConditionSchema, 'type', 'Current conditions.'),
  }),
});
export type Namespace = Static<typeof NamespaceSchema>;

export const ConfigMapSchema = kindSchema('Configuration data as key/value pairs, for pods to read as files or environment.', {
  immutable: boolean('When true, data cannot change any more (only deleting the ConfigMap remains).'),
  data: stringMap('UTF-8 values by key. Keys consist of alphanumerics, -, _ and .'),
  binaryData: mapOf(base64('A binary value.'), 'Binary values by key, base64-encoded. Keys may not repeat those in data.'),
});
export type ConfigMap = Static<typeof ConfigMapSchema>;

export const SecretSchema = kindSchema('Sensitive data such as passwords, tokens or keys.', {
  immutable: boolean('When true, data cannot change any more (only deleting the Secret remains).'),
  data: mapOf(base64('A secret value.'), 'Values by key, base64-encoded.'),
  stringData: stringMap('Write-only convenience: plain values merged into data on write; never returned.'),
  type: string('Type of the secret, e.g. Opaque or kubernetes.io/tls; it fixes the keys required.'),
});
export type Secret = Static<typeof SecretSchema>;

export const ServiceAccountSchema = kindSchema('An identity for processes that run in pods.', {
  secrets: keyedList(ObjectReferenceSchema, 'name', 'Deprecated: legacy token Secrets of the account.'),
  imagePullSecrets: list(LocalObjectReferenceSchema, 'Image pull Secrets added to pods that use the account.'),
  automountServiceAccountToken: boolean('Whether pods using the account mount a token automatically; the pod may override.'),
});
export type ServiceAccount = Static<typeof ServiceAccountSchema>;

// ---------------------------------------------------------------------------------------------
// Node

export const TaintSchema = object('Repels pods that do not tolerate it.', {
  key: string('Taint key.'),
  value: string('Taint value.'),
  effect: oneOf(taintEffects, 'What happens to pods that do not tolerate the taint.'),
  timeAdded: timestamp('When a NoExecute taint was added.'),
}, ['key', 'effect']);
export type Taint = Static<typeof TaintSchema>;

export const NodeSpecSchema = object('Desired state of a node.', {
  podCIDR: string('IP range assigned to the node for pod addresses.'),
  podCIDRs: list(Type.String(), 'IP ranges for pod addresses, at most one per IP family; the first equals podCIDR.', {
    listType: 'set', patchStrategy: 'merge',
  }),
  providerID: string('ID of the node given by its infrastructure provider.'),
  unschedulable: boolean('Keeps new pods off the node (cordon).'),
  taints: list(TaintSchema, 'Taints of the node.'),
  configSource: freeform('Deprecated dynamic kubelet configuration source.'),
  externalID: string('Deprecated.'),
});
export type NodeSpec = Static<typeof NodeSpecSchema>;

export const NodeConditionSchema = object('One aspect of the state of a node.', {
  type: string('Ready, MemoryPressure, DiskPressure, PIDPressure or NetworkUnavailable.'),
  status: oneOf(conditionStatus, 'Whether the condition holds.'),
  lastHeartbeatTime: timestamp('When the node last reported the condition.'),
  lastTransitionTime: timestamp('When status last changed.'),
  reason: string('CamelCase reason for the last transition.'),
  message: string('Human-readable detail.'),
}, ['type', 'status']);
export type NodeCondition = Static<typeof NodeConditionSchema>;

export const NodeAddressSchema = object('An address of a node.', {
  type: oneOf(['Hostname', 'InternalIP', 'ExternalIP', 'InternalDNS', 'ExternalDNS'], 'Kind of address.'),
  address: string('The address.'),
}, ['type', 'address']);
export type NodeAddress = Static<typeof NodeAddressSchema>;

export const NodeSystemInfoSchema = object('Identity and software versions of a node.', {
  machineID: string('Machine ID (/etc/machine-id).'),
  systemUUID: string('System UUID reported by the firmware.'),
  bootID: string('ID of the current boot.'),
  kernelVersion: string('Kernel version (uname -r).'),
  osImage: string('Operating system (from /etc/os-release).'),
  containerRuntimeVersion: string('Runtime and its version, e.g. systemd://252.'),
  kubeletVersion: string('Version of the node agent.'),
  kubeProxyVersion: string('Deprecated; not reliable.'),
  operatingSystem: string('Operating system family, e.g. linux.'),
  architecture: string('CPU architecture, e.g. amd64.'),
  swap: object('Swap on the node.', { capacity: int64('Total swap in bytes.') }),
}, ['machineID', 'systemUUID', 'bootID', 'kernelVersion', 'osImage', 'containerRuntimeVersion', 'kubeletVersion', 'kubeProxyVersion', 'operatingSystem', 'architecture']);
export type NodeSystemInfo = Static<typeof NodeSystemInfoSchema>;

export const ContainerImageSchema = object('An image present on a node.', {
  names: list(Type.String(), 'Names the image is known by.'),
  sizeBytes: int64('Size of the image in bytes.'),
});

export const AttachedVolumeSchema = object('A volume attached to a node.', {
  name: string('Name of the volume.'),
  devicePath: string('Path where the volume is expected to be available.'),
}, ['name', 'devicePath']);

export const NodeRuntimeHandlerSchema = object('A runtime handler of the node and what it supports.', {
  name: string('Name of the handler; empty for the default one.'),
  features: object('Features the handler supports.', {
    recursiveReadOnlyMounts: boolean('Recursive read-only mounts.'),
    userNamespaces: boolean('User namespaces for pods.'),
  }),
});

export const NodeStatusSchema = object('Observed state of a node, reported by its agent.', {
  capacity: resourceList('Total resources of the node.'),
  allocatable: resourceList('Resources available to pods; capacity less what the system reserves.'),
  phase: oneOf(['Pending', 'Running', 'Terminated'], 'Deprecated lifecycle phase.'),
  conditions: keyedList(NodeConditionSchema, 'type', 'Current conditions.'),
  addresses: keyedList(NodeAddressSchema, 'type', 'Addresses of the node.'),
  daemonEndpoints: object('Endpoints of daemons on the node.', {
    kubeletEndpoint: object('Endpoint of the node agent.', {
      Port: int32('Port the node agent listens on.'),
    }, ['Port']),
  }),
  nodeInfo: describe(NodeSystemInfoSchema, 'Identity and software versions.'),
  images: list(ContainerImageSchema, 'Images present on the node.'),
  volumesInUse: list(Type.String(), 'Volumes attached and mounted on the node.'),
  volumesAttached: list(AttachedVolumeSchema, 'Volumes attached to the node.'),
  config: freeform('Deprecated dynamic kubelet configuration status.'),
  runtimeHandlers: list(NodeRuntimeHandlerSchema, 'Available runtime handlers.'),
  features: object('Features of the node.', {
    supplementalGroupsPolicy: boolean('Whether the node honours pods\' supplementalGroupsPolicy.'),
  }),
});
export type NodeStatus = Static<typeof NodeStatusSchema>;

export const NodeSchema = kindSchema('A machine pods run on, registered by its node agent.', {
  spec: describe(NodeSpecSchema, 'Desired state of the node.'),
  status: describe(NodeStatusSchema, 'Observed state of the node.'),
});
export type Node = Static<typeof NodeSchema>;

// ---------------------------------------------------------------------------------------------
// Event (core/v1)

export const EventSourceSchema = object('The component that reported an event.', {
  component: string('Component name.'),
  host: string('Node the component runs on.'),
});
export type EventSource = Static<typeof EventSourceSchema>;

export const CoreEventSeriesSchema = object('Repeated occurrences of the same event.', {
  count: int32('Occurrences so far.'),
  lastObservedTime: timestamp('When the last occurrence was seen.'),
});

/** The core/v1 Event; events.ts has the events.k8s.io/v1 form of the same objects. */
export const CoreEventSchema = kindSchema('A report of something that happened to an object.', {
  involvedObject: describe(ObjectReferenceSchema, 'The object the event is about.'),
  reason: string('Short CamelCase reason, e.g. Scheduled or BackOff.'),
  message: string('Human-readable description.'),
  source: describe(EventSourceSchema, 'Who reported the event.'),
  firstTimestamp: timestamp('First occurrence.'),
  lastTimestamp: timestamp('Most recent occurrence.'),
  count: int32('Number of occurrences.'),
  type: string('Normal or Warning.'),
  eventTime: timestamp('When the event first happened, with microseconds.'),
  series: describe(CoreEventSeriesSchema, 'The series this event belongs to, when repeated.'),
  action: string('What was done, or failed, about the object.'),
  related: describe(ObjectReferenceSchema, 'A second object involved, if any.'),
  reportingComponent: string('Controller that emitted the event, e.g. granary.dev/agent.'),
  reportingInstance: string('Instance of that controller, e.g. its host name.'),
}, ['metadata', 'involvedObject']);
export type CoreEvent = Static<typeof CoreEventSchema>;
