// The default roles and bindings every Kubernetes cluster starts with, created at start when
// missing (an existing one is left as the cluster's administrators made it):
//   cluster-admin       everything; bound to group system:masters
//   admin, edit, view   aggregated from ClusterRoles labelled rbac.authorization.k8s.io/aggregate-to-*,
//                       for granting in a namespace with a RoleBinding
//   system:basic-user   SelfSubjectAccessReview, SelfSubjectRulesReview, SelfSubjectReview
//   system:discovery    /api, /apis, /openapi, /version, health: what kubectl reads first
//   system:public-info-viewer, system:monitoring   health, version, metrics
//   system:node-bootstrapper   create and read CertificateSigningRequests; bound to system:bootstrappers
//   system:certificates.k8s.io:certificatesigningrequests:nodeclient / :selfnodeclient
//                       what the CSR approver asks of a requester before it approves a node's
//                       first certificate (bootstrap tokens) or a renewal (the node itself)
// The aggregated roles carry Kubernetes' rules for the core, coordination.k8s.io and discovery.k8s.io groups; other
// groups' rules come with the ClusterRoles of whoever serves them (CRDs, operators).
import type { ClusterRole, ClusterRoleBinding, PolicyRule } from '../../api/kinds/rbac.ts';
import { ApiError } from '../errors.ts';
import type { Registry } from '../registry/registry.ts';
import { RBAC_GROUP } from './policy-index.ts';
import { AUTHENTICATED_GROUP, PRIVILEGED_GROUP } from './user.ts';
import { BOOTSTRAPPERS_GROUP } from './bootstrap-tokens.ts';
import { NODES_GROUP } from './node-authorizer.ts';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const AGGREGATE_TO = (role: 'admin' | 'edit' | 'view') => `rbac.authorization.k8s.io/aggregate-to-${role}`;
const UNAUTHENTICATED_GROUP = 'system:unauthenticated';
const MONITORING_GROUP = 'system:monitoring';
const CERTIFICATES_GROUP = 'certificates.k8s.io';
/** Held by whoever may have a new node's client certificate approved automatically. */
export const NODE_CLIENT_ROLE = 'system:certificates.k8s.io:certificatesigningrequests:nodeclient';
/** Held by nodes that may have their own client certificate renewed automatically. */
export const SELF_NODE_CLIENT_ROLE = 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient';

const onResources = (verbs: string[], apiGroup: string, resources: string[]): PolicyRule => ({ verbs, apiGroups: [apiGroup], resources });
const onUrls = (verbs: string[], nonResourceURLs: string[]): PolicyRule => ({ verbs, nonResourceURLs });

interface RoleSpec {
  name: string;
  rules?: PolicyRule[];
  /** The aggregate-to-* label selecting the roles whose rules this one gathers. */
  aggregates?: 'admin' | 'edit' | 'view';
  /** Into which aggregated role this one's rules go. */
  aggregatesInto?: 'admin' | 'edit' | 'view';
}

const ROLES: RoleSpec[] = [
  { name: 'cluster-admin', rules: [onResources(['*'], '*', ['*']), onUrls(['*'], ['*'])] },
  { name: 'admin', aggregates: 'admin' },
  { name: 'edit', aggregates: 'edit', aggregatesInto: 'admin' },
  { name: 'view', aggregates: 'view', aggregatesInto: 'edit' },
  {
    name: 'system:aggregate-to-admin', aggregatesInto: 'admin',
    rules: [
      onResources(['create'], 'authorization.k8s.io', ['localsubjectaccessreviews']),
      onResources([...READ, ...WRITE], RBAC_GROUP, ['rolebindings', 'roles']),
    ],
  },
  {
    name: 'system:aggregate-to-edit', aggregatesInto: 'edit',
    rules: [
      onResources(READ, '', ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy']),
      onResources(['impersonate'], '', ['serviceaccounts']),
      onResources(WRITE, '', ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
      onResources(['create'], '', ['pods/eviction']),
      onResources(WRITE, '', ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale',
        'secrets', 'serviceaccounts', 'services', 'services/proxy']),
      onResources(['create'], '', ['serviceaccounts/token']),
      onResources([...READ, ...WRITE], 'coordination.k8s.io', ['leases']),
    ],
  },
  {
    name: 'system:aggregate-to-view', aggregatesInto: 'view',
    rules: [
      onResources(READ, '', ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods',
        'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status']),
      onResources(READ, '', ['bindings', 'events', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status',
        'replicationcontrollers/status', 'resourcequotas', 'resourcequotas/status']),
      // Reading namespaces in a namespace means reading that namespace: how users find theirs.
      onResources(READ, '', ['namespaces']),
      onResources(READ, 'discovery.k8s.io', ['endpointslices']),
    ],
  },
  {
    name: 'system:basic-user',
    rules: [
      onResources(['create'], 'authorization.k8s.io', ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
      onResources(['create'], 'authentication.k8s.io', ['selfsubjectreviews']),
    ],
  },
  {
    name: 'system:discovery',
    rules: [onUrls(['get'], ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'])],
  },
  { name: 'system:node-bootstrapper', rules: [onResources(['create', ...READ], CERTIFICATES_GROUP, ['certificatesigningrequests'])] },
  { name: NODE_CLIENT_ROLE, rules: [onResources(['create'], CERTIFICATES_GROUP, ['certificatesigningrequests/nodeclient'])] },
  { name: SELF_NODE_CLIENT_ROLE, rules: [onResources(['create'], CERTIFICATES_GROUP, ['certificatesigningrequests/selfnodeclient'])] },
  {
    name: 'system:auth-delegator',
    rules: [onResources(['create'], 'authentication.k8s.io', ['tokenreviews']), onResources(['create'], 'authorization.k8s.io', ['subjectaccessreviews'])],
  },
  { name: 'system:public-info-viewer', rules: [onUrls(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/'])] },
  {
    name: 'system:monitoring',
    rules: [onUrls(['get'], ['/healthz', '/healthz/*', '/livez', '/livez/*', '/metrics', '/readyz', '/readyz/*'])],
  },
];

const BINDINGS: { role: string; groups: string[] }[] = [
  { role: 'cluster-admin', groups: [PRIVILEGED_GROUP] },
  { role: 'system:basic-user', groups: [AUTHENTICATED_GROUP] },
  { role: 'system:discovery', groups: [AUTHENTICATED_GROUP] },
  { role: 'system:public-info-viewer', groups: [AUTHENTICATED_GROUP, UNAUTHENTICATED_GROUP] },
  { role: 'system:monitoring', groups: [MONITORING_GROUP] },
  // As kubeadm sets a cluster up: bootstrap tokens may ask for node certificates, which are
  // approved automatically, and nodes have their renewals approved automatically.
  { role: 'system:node-bootstrapper', groups: [BOOTSTRAPPERS_GROUP] },
  { role: NODE_CLIENT_ROLE, groups: [BOOTSTRAPPERS_GROUP] },
  { role: SELF_NODE_CLIENT_ROLE, groups: [NODES_GROUP] },
];

const DEFAULT_METADATA = {
  labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
  annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
};

export function bootstrapClusterRoles(): ClusterRole[] {
  return ROLES.map((spec) => ({
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRole',
    metadata: {
      name: spec.name,
      labels: { ...DEFAULT_METADATA.labels, ...(spec.aggregatesInto ? { [AGGREGATE_TO(spec.aggregatesInto)]: 'true' } : {}) },
      annotations: { ...DEFAULT_METADATA.annotations },
    },
    ...(spec.aggregates ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [AGGREGATE_TO(spec.aggregates)]: 'true' } }] } } : {}),
    ...(spec.rules ? { rules: spec.rules } : {}),
  }));
}

export function bootstrapClusterRoleBindings(): ClusterRoleBinding[] {
  return BINDINGS.map(({ role, groups }) => ({
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name: role, labels: { ...DEFAULT_METADATA.labels }, annotations: { ...DEFAULT_METADATA.annotations } },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: role },
    subjects: groups.map((name) => ({ apiGroup: RBAC_GROUP, kind: 'Group', name })),
  }));
}

/** Creates the default ClusterRoles and ClusterRoleBindings that do not exist yet. */
export async function ensureBootstrapPolicy(registry: Registry): Promise<void> {
  const writes: [string, (ClusterRole | ClusterRoleBinding)[]][] = [
    ['clusterroles', bootstrapClusterRoles()],
    ['clusterrolebindings', bootstrapClusterRoleBindings()],
  ];
  for (const [plural, objects] of writes) {
    const store = registry.storageStore(RBAC_GROUP, plural)!;
    for (const obj of objects) {
      try {
        await store.create(undefined, obj, { warnings: [], fieldManager: 'granary-apiserver' });
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
      }
    }
  }
}
