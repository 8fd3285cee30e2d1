// core/v1 (k8s.io/api/core/v1): the kinds of the legacy group that clients send as protobuf.
// Field numbers as in Kubernetes' generated.proto, JSON rules as in its Go types (notation: ../schema.ts).

export const CORE_V1 = `
package core

message ConfigMap {
  1 metadata   meta.ObjectMeta
  2 data       map<string>
  3 binaryData map<bytes>
  4 immutable  *bool
}

message Secret {
  1 metadata   meta.ObjectMeta
  2 data       map<bytes>
  3 type       string
  4 stringData map<string>
  5 immutable  *bool
}

message Namespace {
  1 metadata meta.ObjectMeta
  2 spec     NamespaceSpec
  3 status   NamespaceStatus
}

message NamespaceSpec {
  1 finalizers []string
}

message NamespaceStatus {
  1 phase      string
  2 conditions []NamespaceCondition
}

message NamespaceCondition {
  1 type               string    always
  2 status             string    always
  4 lastTransitionTime meta.Time
  5 reason             string
  6 message            string
}

message ServiceAccount {
  1 metadata                     meta.ObjectMeta
  2 secrets                      []ObjectReference
  3 imagePullSecrets             []LocalObjectReference
  4 automountServiceAccountToken *bool
}

message ObjectReference {
  1 kind            string
  2 namespace       string
  3 name            string
  4 uid             string
  5 apiVersion      string
  6 resourceVersion string
  7 fieldPath       string
}

message LocalObjectReference {
  1 name string
}

message Binding {
  1 metadata meta.ObjectMeta
  2 target   ObjectReference
}

message Event {
   1 metadata           meta.ObjectMeta
   2 involvedObject     ObjectReference
   3 reason             string
   4 message            string
   5 source             EventSource
   6 firstTimestamp     meta.Time
   7 lastTimestamp      meta.Time
   8 count              int32
   9 type               string
  10 eventTime          meta.MicroTime
  11 series             *EventSeries
  12 action             string
  13 related            *ObjectReference
  14 reportingComponent string           always
  15 reportingInstance  string           always
}

message EventSource {
  1 component string
  2 host      string
}

message EventSeries {
  1 count            int32
  2 lastObservedTime meta.MicroTime
}

message Pod {
  1 metadata meta.ObjectMeta
  2 spec     PodSpec
  3 status   PodStatus
}

message PodSpec {
   1 volumes                       []Volume
   2 containers                    []Container                always
   3 restartPolicy                 string
   4 terminationGracePeriodSeconds *int64
   5 activeDeadlineSeconds         *int64
   6 dnsPolicy                     string
   7 nodeSelector                  map<string>
   8 serviceAccountName            string
   9 serviceAccount                string
  10 nodeName                      string
  11 hostNetwork                   bool
  12 hostPID                       bool
  13 hostIPC                       bool
  14 securityContext               *PodSecurityContext
  15 imagePullSecrets              []LocalObjectReference
  16 hostname                      string
  17 subdomain                     string
  18 affinity                      *Affinity
  19 schedulerName                 string
  20 initContainers                []Container
  21 automountServiceAccountToken  *bool
  22 tolerations                   []Toleration
  23 hostAliases                   []HostAlias
  24 priorityClassName             string
  25 priority                      *int32
  26 dnsConfig                     *PodDNSConfig
  27 shareProcessNamespace         *bool
  28 readinessGates                []PodReadinessGate
  29 runtimeClassName              *string
  30 enableServiceLinks            *bool
  31 preemptionPolicy              *string
  32 overhead                      map<resource.Quantity>
  33 topologySpreadConstraints     []TopologySpreadConstraint
  34 ephemeralContainers           []EphemeralContainer
  35 setHostnameAsFQDN             *bool
  36 os                            *PodOS
  37 hostUsers                     *bool
  38 schedulingGates               []PodSchedulingGate
  39 resourceClaims                []PodResourceClaim
  40 resources                     *ResourceRequirements
  41 hostnameOverride              *string
  43 schedulingGroup               *PodSchedulingGroup
  44 evictionResponders            []EvictionResponder
}

message Container {
   1 name                     string                  always
   2 image                    string
   3 command                  []string
   4 args                     []string
   5 workingDir               string
   6 ports                    []ContainerPort
   7 env                      []EnvVar
   8 resources                ResourceRequirements
   9 volumeMounts             []VolumeMount
  10 livenessProbe            *Probe
  11 readinessProbe           *Probe
  12 lifecycle                *Lifecycle
  13 terminationMessagePath   string
  14 imagePullPolicy          string
  15 securityContext          *SecurityContext
  16 stdin                    bool
  17 stdinOnce                bool
  18 tty                      bool
  19 envFrom                  []EnvFromSource
  20 terminationMessagePolicy string
  21 volumeDevices            []VolumeDevice
  22 startupProbe             *Probe
  23 resizePolicy             []ContainerResizePolicy
  24 restartPolicy            *string
  25 restartPolicyRules       []ContainerRestartRule
}

message ContainerPort {
  1 name          string
  2 hostPort      int32
  3 containerPort int32  always
  4 protocol      string
  5 hostIP        string
}

message EnvVar {
  1 name      string        always
  2 value     string
  3 valueFrom *EnvVarSource
}

message EnvVarSource {
  1 fieldRef         *ObjectFieldSelector
  2 resourceFieldRef *ResourceFieldSelector
  3 configMapKeyRef  *ConfigMapKeySelector
  4 secretKeyRef     *SecretKeySelector
  5 fileKeyRef       *FileKeySelector
}

message ObjectFieldSelector {
  1 apiVersion string
  2 fieldPath  string always
}

message ResourceFieldSelector {
  1 containerName string
  2 resource      string            always
  3 divisor       resource.Quantity
}

message ConfigMapKeySelector {
  1 localObjectReference LocalObjectReference inline
  2 key                  string               always
  3 optional             *bool
}

message SecretKeySelector {
  1 localObjectReference LocalObjectReference inline
  2 key                  string               always
  3 optional             *bool
}

message FileKeySelector {
  1 volumeName string always
  2 path       string always
  3 key        string always
  4 optional   *bool
}

message EnvFromSource {
  1 prefix       string
  2 configMapRef *ConfigMapEnvSource
  3 secretRef    *SecretEnvSource
}

message ConfigMapEnvSource {
  1 localObjectReference LocalObjectReference inline
  2 optional             *bool
}

message SecretEnvSource {
  1 localObjectReference LocalObjectReference inline
  2 optional             *bool
}

message ResourceRequirements {
  1 limits   map<resource.Quantity>
  2 requests map<resource.Quantity>
  3 claims   []ResourceClaim
}

message ResourceClaim {
  1 name    string always
  2 request string
}

message VolumeMount {
  1 name              string   always
  2 readOnly          bool
  3 mountPath         string   always
  4 subPath           string
  5 mountPropagation  *string
  6 subPathExpr       string
  7 recursiveReadOnly *string
  8 bindMountOptions  []string
}

message VolumeDevice {
  1 name       string always
  2 devicePath string always
}

message Probe {
  1 handler                       ProbeHandler inline
  2 initialDelaySeconds           int32
  3 timeoutSeconds                int32
  4 periodSeconds                 int32
  5 successThreshold              int32
  6 failureThreshold              int32
  7 terminationGracePeriodSeconds *int64
}

message ProbeHandler {
  1 exec      *ExecAction
  2 httpGet   *HTTPGetAction
  3 tcpSocket *TCPSocketAction
  4 grpc      *GRPCAction
}

message ExecAction {
  1 command []string
}

message HTTPGetAction {
  1 path        string
  2 port        intstr.IntOrString
  3 host        string
  4 scheme      string
  5 httpHeaders []HTTPHeader
  6 protocol    *string
}

message HTTPHeader {
  1 name  string always
  2 value string always
}

message TCPSocketAction {
  1 port intstr.IntOrString
  2 host string
}

message GRPCAction {
  1 port    int32   always
  2 service *string
  3 mode    *string
}

message Lifecycle {
  1 postStart  *LifecycleHandler
  2 preStop    *LifecycleHandler
  3 stopSignal *string
}

message LifecycleHandler {
  1 exec      *ExecAction
  2 httpGet   *HTTPGetAction
  3 tcpSocket *TCPSocketAction
  4 sleep     *SleepAction
}

message SleepAction {
  1 seconds int64 always
}

message SecurityContext {
   1 capabilities             *Capabilities
   2 privileged               *bool
   3 seLinuxOptions           *SELinuxOptions
   4 runAsUser                *int64
   5 runAsNonRoot             *bool
   6 readOnlyRootFilesystem   *bool
   7 allowPrivilegeEscalation *bool
   8 runAsGroup               *int64
   9 procMount                *string
  10 windowsOptions           *WindowsSecurityContextOptions
  11 seccompProfile           *SeccompProfile
  12 appArmorProfile          *AppArmorProfile
}

message Capabilities {
  1 add  []string
  2 drop []string
}

message SELinuxOptions {
  1 user  string
  2 role  string
  3 type  string
  4 level string
}

message WindowsSecurityContextOptions {
  1 gmsaCredentialSpecName *string
  2 gmsaCredentialSpec     *string
  3 runAsUserName          *string
  4 hostProcess            *bool
}

message SeccompProfile {
  1 type             string  always
  2 localhostProfile *string
}

message AppArmorProfile {
  1 type             string  always
  2 localhostProfile *string
}

message ContainerResizePolicy {
  1 resourceName  string always
  2 restartPolicy string always
}

message ContainerRestartRule {
  1 action    string
  2 exitCodes *ContainerRestartRuleOnExitCodes
}

message ContainerRestartRuleOnExitCodes {
  1 operator string
  2 values   []int32
}

// EphemeralContainerCommon has Container's fields under Container's numbers, so Container serves.
message EphemeralContainer {
  1 ephemeralContainerCommon Container inline
  2 targetContainerName      string
}

message Volume {
  1 name         string       always
  2 volumeSource VolumeSource inline
}

// The in-tree cloud and legacy volume plugins (awsElasticBlockStore, azureDisk, cephfs, gitRepo,
// ...) are left out: a Pod using one is refused with a message instead of losing the volume.
message VolumeSource {
   1 hostPath              *HostPathVolumeSource
   2 emptyDir              *EmptyDirVolumeSource
   6 secret                *SecretVolumeSource
   7 nfs                   *NFSVolumeSource
   8 iscsi                 *ISCSIVolumeSource
  10 persistentVolumeClaim *PersistentVolumeClaimVolumeSource
  16 downwardAPI           *DownwardAPIVolumeSource
  19 configMap             *ConfigMapVolumeSource
  26 projected             *ProjectedVolumeSource
  28 csi                   *CSIVolumeSource
  29 ephemeral             *EphemeralVolumeSource
  30 image                 *ImageVolumeSource
}

message HostPathVolumeSource {
  1 path string  always
  2 type *string
}

message EmptyDirVolumeSource {
  1 medium    string
  2 sizeLimit *resource.Quantity
  3 mode      *int32
}

message SecretVolumeSource {
  1 secretName  string
  2 items       []KeyToPath
  3 defaultMode *int32
  4 optional    *bool
  5 defaultUser *int64
}

message ConfigMapVolumeSource {
  1 localObjectReference LocalObjectReference inline
  2 items                []KeyToPath
  3 defaultMode          *int32
  4 optional             *bool
  5 defaultUser          *int64
}

message KeyToPath {
  1 key  string always
  2 path string always
  3 mode *int32
  4 user *int64
}

message DownwardAPIVolumeSource {
  1 items       []DownwardAPIVolumeFile
  2 defaultMode *int32
  3 defaultUser *int64
}

message DownwardAPIVolumeFile {
  1 path             string                 always
  2 fieldRef         *ObjectFieldSelector
  3 resourceFieldRef *ResourceFieldSelector
  4 mode             *int32
  5 user             *int64
}

message ProjectedVolumeSource {
  1 sources     []VolumeProjection always
  2 defaultMode *int32
  3 defaultUser *int64
}

message VolumeProjection {
  1 secret              *SecretProjection
  2 downwardAPI         *DownwardAPIProjection
  3 configMap           *ConfigMapProjection
  4 serviceAccountToken *ServiceAccountTokenProjection
  5 clusterTrustBundle  *ClusterTrustBundleProjection
  6 podCertificate      *PodCertificateProjection
}

message SecretProjection {
  1 localObjectReference LocalObjectReference inline
  2 items                []KeyToPath
  4 optional             *bool
}

message ConfigMapProjection {
  1 localObjectReference LocalObjectReference inline
  2 items                []KeyToPath
  4 optional             *bool
}

message DownwardAPIProjection {
  1 items []DownwardAPIVolumeFile
}

message ServiceAccountTokenProjection {
  1 audience          string
  2 expirationSeconds *int64
  3 path              string always
  4 user              *int64
}

message ClusterTrustBundleProjection {
  1 name          *string
  2 signerName    *string
  3 labelSelector *meta.LabelSelector
  4 path          string              always
  5 optional      *bool
  6 user          *int64
}

message PodCertificateProjection {
  1 signerName           string
  2 keyType              string
  3 maxExpirationSeconds *int32
  4 credentialBundlePath string
  5 keyPath              string
  6 certificateChainPath string
  7 userAnnotations      map<string>
  8 user                 *int64
}

message PersistentVolumeClaimVolumeSource {
  1 claimName string always
  2 readOnly  bool
}

message NFSVolumeSource {
  1 server   string always
  2 path     string always
  3 readOnly bool
}

message ISCSIVolumeSource {
   1 targetPortal      string                always
   2 iqn               string                always
   3 lun               int32                 always
   4 iscsiInterface    string
   5 fsType            string
   6 readOnly          bool
   7 portals           []string
   8 chapAuthDiscovery bool
  10 secretRef         *LocalObjectReference
  11 chapAuthSession   bool
  12 initiatorName     *string
}

message CSIVolumeSource {
  1 driver               string                always
  2 readOnly             *bool
  3 fsType               *string
  4 volumeAttributes     map<string>
  5 nodePublishSecretRef *LocalObjectReference
}

message EphemeralVolumeSource {
  1 volumeClaimTemplate *PersistentVolumeClaimTemplate
}

message PersistentVolumeClaimTemplate {
  1 metadata meta.ObjectMeta
  2 spec     PersistentVolumeClaimSpec
}

message PersistentVolumeClaimSpec {
  1 accessModes               []string
  2 resources                 VolumeResourceRequirements
  3 volumeName                string
  4 selector                  *meta.LabelSelector
  5 storageClassName          *string
  6 volumeMode                *string
  7 dataSource                *TypedLocalObjectReference
  8 dataSourceRef             *TypedObjectReference
  9 volumeAttributesClassName *string
}

message VolumeResourceRequirements {
  1 limits   map<resource.Quantity>
  2 requests map<resource.Quantity>
}

message TypedLocalObjectReference {
  1 apiGroup *string
  2 kind     string  always
  3 name     string  always
}

message TypedObjectReference {
  1 apiGroup  *string
  2 kind      string  always
  3 name      string  always
  4 namespace *string
}

message ImageVolumeSource {
  1 reference  string
  2 pullPolicy string
}

message PodSecurityContext {
   1 seLinuxOptions           *SELinuxOptions
   2 runAsUser                *int64
   3 runAsNonRoot             *bool
   4 supplementalGroups       []int64
   5 fsGroup                  *int64
   6 runAsGroup               *int64
   7 sysctls                  []Sysctl
   8 windowsOptions           *WindowsSecurityContextOptions
   9 fsGroupChangePolicy      *string
  10 seccompProfile           *SeccompProfile
  11 appArmorProfile          *AppArmorProfile
  12 supplementalGroupsPolicy *string
  13 seLinuxChangePolicy      *string
}

message Sysctl {
  1 name  string always
  2 value string always
}

message Affinity {
  1 nodeAffinity    *NodeAffinity
  2 podAffinity     *PodAffinity
  3 podAntiAffinity *PodAntiAffinity
}

message NodeAffinity {
  1 requiredDuringSchedulingIgnoredDuringExecution  *NodeSelector
  2 preferredDuringSchedulingIgnoredDuringExecution []PreferredSchedulingTerm
}

message NodeSelector {
  1 nodeSelectorTerms []NodeSelectorTerm always
}

message NodeSelectorTerm {
  1 matchExpressions []NodeSelectorRequirement
  2 matchFields      []NodeSelectorRequirement
}

message NodeSelectorRequirement {
  1 key      string   always
  2 operator string   always
  3 values   []string
}

message PreferredSchedulingTerm {
  1 weight     int32            always
  2 preference NodeSelectorTerm
}

message PodAffinity {
  1 requiredDuringSchedulingIgnoredDuringExecution  []PodAffinityTerm
  2 preferredDuringSchedulingIgnoredDuringExecution []WeightedPodAffinityTerm
}

message PodAntiAffinity {
  1 requiredDuringSchedulingIgnoredDuringExecution  []PodAffinityTerm
  2 preferredDuringSchedulingIgnoredDuringExecution []WeightedPodAffinityTerm
}

message PodAffinityTerm {
  1 labelSelector     *meta.LabelSelector
  2 namespaces        []string
  3 topologyKey       string              always
  4 namespaceSelector *meta.LabelSelector
  5 matchLabelKeys    []string
  6 mismatchLabelKeys []string
}

message WeightedPodAffinityTerm {
  1 weight          int32           always
  2 podAffinityTerm PodAffinityTerm
}

message Toleration {
  1 key               string
  2 operator          string
  3 value             string
  4 effect            string
  5 tolerationSeconds *int64
}

message TopologySpreadConstraint {
  1 maxSkew            int32               always
  2 topologyKey        string              always
  3 whenUnsatisfiable  string              always
  4 labelSelector      *meta.LabelSelector
  5 minDomains         *int32
  6 nodeAffinityPolicy *string
  7 nodeTaintsPolicy   *string
  8 matchLabelKeys     []string
}

message HostAlias {
  1 ip        string   always
  2 hostnames []string
}

message PodDNSConfig {
  1 nameservers []string
  2 searches    []string
  3 options     []PodDNSConfigOption
}

message PodDNSConfigOption {
  1 name  string
  2 value *string
}

message PodReadinessGate {
  1 conditionType string always
}

message PodOS {
  1 name string always
}

message PodSchedulingGate {
  1 name string always
}

message PodResourceClaim {
  1 name                      string  always
  3 resourceClaimName         *string
  4 resourceClaimTemplateName *string
}

message PodSchedulingGroup {
  1 podGroupName *string
}

message EvictionResponder {
  1 name     string always
  2 priority *int32
}

message PodStatus {
   1 phase                                string
   2 conditions                           []PodCondition
   3 message                              string
   4 reason                               string
   5 hostIP                               string
   6 podIP                                string
   7 startTime                            *meta.Time
   8 containerStatuses                    []ContainerStatus
   9 qosClass                             string
  10 initContainerStatuses                []ContainerStatus
  11 nominatedNodeName                    string
  12 podIPs                               []PodIP
  13 ephemeralContainerStatuses           []ContainerStatus
  14 resize                               string
  15 resourceClaimStatuses                []PodResourceClaimStatus
  16 hostIPs                              []HostIP
  17 observedGeneration                   int64
  18 extendedResourceClaimStatus          *PodExtendedResourceClaimStatus
  19 allocatedResources                   map<resource.Quantity>
  20 resources                            *ResourceRequirements
  21 nodeAllocatableResourceClaimStatuses []NodeAllocatableResourceClaimStatus
  22 volumeHealth                         []PodVolumeHealth
}

message PodCondition {
  1 type               string    always
  2 status             string    always
  3 lastProbeTime      meta.Time
  4 lastTransitionTime meta.Time
  5 reason             string
  6 message            string
  7 observedGeneration int64
}

message PodIP {
  1 ip string always
}

message HostIP {
  1 ip string always
}

message ContainerStatus {
   1 name                     string                 always
   2 state                    ContainerState
   3 lastState                ContainerState
   4 ready                    bool                   always
   5 restartCount             int32                  always
   6 image                    string                 always
   7 imageID                  string                 always
   8 containerID              string
   9 started                  *bool
  10 allocatedResources       map<resource.Quantity>
  11 resources                *ResourceRequirements
  12 volumeMounts             []VolumeMountStatus
  13 user                     *ContainerUser
  14 allocatedResourcesStatus []ResourceStatus
  15 stopSignal               *string
}

message ContainerState {
  1 waiting    *ContainerStateWaiting
  2 running    *ContainerStateRunning
  3 terminated *ContainerStateTerminated
}

message ContainerStateWaiting {
  1 reason  string
  2 message string
}

message ContainerStateRunning {
  1 startedAt meta.Time
}

message ContainerStateTerminated {
  1 exitCode    int32     always
  2 signal      int32
  3 reason      string
  4 message     string
  5 startedAt   meta.Time
  6 finishedAt  meta.Time
  7 containerID string
}

message VolumeMountStatus {
  1 name              string        always
  2 mountPath         string        always
  3 readOnly          bool
  4 recursiveReadOnly *string
  5 volumeStatus      *VolumeStatus
}

message ContainerUser {
  1 linux *LinuxContainerUser
}

message LinuxContainerUser {
  1 uid                int64   always
  2 gid                int64   always
  3 supplementalGroups []int64
}

message ResourceStatus {
  1 name      string           always
  2 resources []ResourceHealth
}

message ResourceHealth {
  1 resourceID string  always
  2 health     string
  6 message    *string
}

message PodResourceClaimStatus {
  1 name              string  always
  2 resourceClaimName *string
}

message PodExtendedResourceClaimStatus {
  1 requestMappings   []ContainerExtendedResourceRequest always
  2 resourceClaimName string                             always
}

message ContainerExtendedResourceRequest {
  1 containerName string always
  2 resourceName  string always
  3 requestName   string always
}

message PodVolumeHealth {
  1 name               string                  always
  2 healthConditions   []VolumeHealthCondition
  3 lastTransitionTime meta.Time
}

message VolumeHealthCondition {
  1 status  string always
  2 reason  string always
  3 message string
}

message NodeAllocatableResourceClaimStatus {
  1 resourceClaimName string                             always
  2 containers        []string
  4 mapping           []NodeAllocatableMappedResources
  5 overhead          []NodeAllocatableOverheadResources
}

message NodeAllocatableOverheadResources {
  1 name         string             always
  2 perPod       *resource.Quantity
  3 perContainer *resource.Quantity
}

message NodeAllocatableMappedResources {
  1 name     string             always
  2 quantity *resource.Quantity
}

message VolumeStatus {
  1 image *ImageVolumeStatus
}

message ImageVolumeStatus {
  1 imageRef string
}

message Service {
  1 metadata meta.ObjectMeta
  2 spec     ServiceSpec
  3 status   ServiceStatus
}

message ServiceSpec {
   1 ports                         []ServicePort
   2 selector                      map<string>
   3 clusterIP                     string
  18 clusterIPs                    []string
   4 type                          string
   5 externalIPs                   []string
   7 sessionAffinity               string
   8 loadBalancerIP                string
   9 loadBalancerSourceRanges      []string
  10 externalName                  string
  11 externalTrafficPolicy         string
  12 healthCheckNodePort           int32
  13 publishNotReadyAddresses      bool
  14 sessionAffinityConfig         *SessionAffinityConfig
  19 ipFamilies                    []string
  17 ipFamilyPolicy                *string
  20 allocateLoadBalancerNodePorts *bool
  21 loadBalancerClass             *string
  22 internalTrafficPolicy         *string
  23 trafficDistribution           *string
}

message ServicePort {
  1 name        string
  2 protocol    string
  6 appProtocol *string
  3 port        int32                  always
  4 targetPort  intstr.IntOrString
  5 nodePort    int32
}

message SessionAffinityConfig {
  1 clientIP *ClientIPConfig
}

message ClientIPConfig {
  1 timeoutSeconds *int32
}

message ServiceStatus {
  1 loadBalancer LoadBalancerStatus
  2 conditions   []meta.Condition
}

message LoadBalancerStatus {
  1 ingress []LoadBalancerIngress
}

message LoadBalancerIngress {
  1 ip       string
  2 hostname string
  3 ipMode   *string
  4 ports    []PortStatus
}

message PortStatus {
  1 port     int32   always
  2 protocol string  always
  3 error    *string
}
`;
