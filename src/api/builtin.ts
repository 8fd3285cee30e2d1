// The built-in resources the API server serves, with the groups, versions, names, verbs and
// subresources Kubernetes' own discovery reports for them (kubectl relies on these), and the
// structural schema of each kind.
import { ALL_VERBS, type ResourceDefinition } from './resources.ts';
import type { JSONSchemaProps } from './schema.ts';
import type { KindSchema } from './kinds/meta.ts';
import { ConfigMapSchema, CoreEventSchema, NamespaceSchema, NodeSchema, PodSchema, SecretSchema, ServiceAccountSchema } from './kinds/core.ts';
import { EventSchema } from './kinds/events.ts';
import { LeaseSchema } from './kinds/coordination.ts';
import { ClusterRoleBindingSchema, ClusterRoleSchema, RoleBindingSchema, RoleSchema } from './kinds/rbac.ts';
import { CustomResourceDefinitionSchema } from './kinds/apiextensions.ts';
import { SelfSubjectAccessReviewSchema, SelfSubjectRulesReviewSchema, SubjectAccessReviewSchema } from './kinds/authorization.ts';
import { SelfSubjectReviewSchema, TokenReviewSchema } from './kinds/authentication.ts';
import { CertificateSigningRequestSchema } from './kinds/certificates.ts';
import { ServiceSchema } from './kinds/service.ts';
import { EndpointSliceSchema } from './kinds/discovery.ts';
import { RuntimeClassSchema } from './kinds/node.ts';

/** Namespaces that exist from the start, as in every Kubernetes cluster. */
export const INITIAL_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

const OPENAPI_PREFIX = {
  core: 'io.k8s.api.core.v1',
  events: 'io.k8s.api.events.v1',
  coordination: 'io.k8s.api.coordination.v1',
  rbac: 'io.k8s.api.rbac.v1',
  apiextensions: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1',
  authorization: 'io.k8s.api.authorization.v1',
  authentication: 'io.k8s.api.authentication.v1',
  authenticationBeta: 'io.k8s.api.authentication.v1beta1',
  certificates: 'io.k8s.api.certificates.v1',
  discovery: 'io.k8s.api.discovery.v1',
  node: 'io.k8s.api.node.v1',
};

interface BuiltinSpec {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  /** The kind's schema (kindSchema): its static type is the kind's TypeScript type, a KubeObject. */
  schema: KindSchema;
  openapiPrefix: string;
  shortNames?: string[];
  categories?: string[];
  verbs?: string[];
  subresources?: string[];
  storedAs?: ResourceDefinition['storedAs'];
}

/** Fills in what Kubernetes derives the same way for every built-in resource. */
function builtin(spec: BuiltinSpec): ResourceDefinition {
  const subresources = spec.subresources ?? [];
  return {
    group: spec.group,
    version: spec.version,
    kind: spec.kind,
    listKind: `${spec.kind}List`,
    plural: spec.plural,
    singular: spec.kind.toLowerCase(),
    namespaced: spec.namespaced,
    ...(spec.shortNames ? { shortNames: spec.shortNames } : {}),
    ...(spec.categories ? { categories: spec.categories } : {}),
    ...(spec.storedAs ? { storedAs: spec.storedAs } : {}),
    verbs: [...(spec.verbs ?? ALL_VERBS)],
    subresources,
    // TypeBox schemas are plain JSON schema objects (plus symbol keys nobody serializes).
    schema: spec.schema as JSONSchemaProps,
    storageVersion: spec.version,
    hasStatus: subresources.includes('status'),
    openapiPrefix: spec.openapiPrefix,
  };
}

export const BUILTIN_RESOURCES: ResourceDefinition[] = [
  builtin({
    group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, shortNames: ['ns'],
    // Namespaces are removed one at a time, through the namespace lifecycle: no deletecollection.
    verbs: ALL_VERBS.filter((verb) => verb !== 'deletecollection'),
    subresources: ['finalize', 'status'], schema: NamespaceSchema, openapiPrefix: OPENAPI_PREFIX.core,
  }),
  builtin({
    group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'],
    schema: ConfigMapSchema, openapiPrefix: OPENAPI_PREFIX.core,
  }),
  builtin({
    group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true,
    schema: SecretSchema, openapiPrefix: OPENAPI_PREFIX.core,
  }),
  builtin({
    group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, shortNames: ['sa'],
    subresources: ['token'], schema: ServiceAccountSchema, openapiPrefix: OPENAPI_PREFIX.core,
  }),
  builtin({
    group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true, shortNames: ['po'], categories: ['all'],
    subresources: ['binding', 'log', 'status'], schema: PodSchema, openapiPrefix: OPENAPI_PREFIX.core,
  }),
  builtin({
    group: '', version: 'v1', kind: 'Node', plural: 'nodes', namespaced: false, shortNames: ['no'],
    subresources: ['status'], schema: NodeSchema, openapiPrefix: OPENAPI_PREFIX.core,
  }),
  builtin({
    // Kubernetes also serves services/proxy; Granary proxies nothing.
    group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true, shortNames: ['svc'], categories: ['all'],
    subresources: ['status'], schema: ServiceSchema, openapiPrefix: OPENAPI_PREFIX.core,
  }),
  builtin({
    group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true,
    schema: EndpointSliceSchema, openapiPrefix: OPENAPI_PREFIX.discovery,
  }),
  builtin({
    group: 'node.k8s.io', version: 'v1', kind: 'RuntimeClass', plural: 'runtimeclasses', namespaced: false,
    schema: RuntimeClassSchema, openapiPrefix: OPENAPI_PREFIX.node,
  }),
  builtin({
    group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'],
    schema: CoreEventSchema, openapiPrefix: OPENAPI_PREFIX.core,
  }),
  builtin({
    group: 'events.k8s.io', version: 'v1', kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'],
    schema: EventSchema, openapiPrefix: OPENAPI_PREFIX.events,
    // One set of Events, two views: stored as core/v1 Events, converted on the way in and out.
    storedAs: { group: '', plural: 'events' },
  }),
  builtin({
    group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true,
    schema: LeaseSchema, openapiPrefix: OPENAPI_PREFIX.coordination,
  }),
  builtin({
    group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', plural: 'roles', namespaced: true,
    schema: RoleSchema, openapiPrefix: OPENAPI_PREFIX.rbac,
  }),
  builtin({
    group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', plural: 'rolebindings', namespaced: true,
    schema: RoleBindingSchema, openapiPrefix: OPENAPI_PREFIX.rbac,
  }),
  builtin({
    group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false,
    schema: ClusterRoleSchema, openapiPrefix: OPENAPI_PREFIX.rbac,
  }),
  builtin({
    group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false,
    schema: ClusterRoleBindingSchema, openapiPrefix: OPENAPI_PREFIX.rbac,
  }),
  builtin({
    group: 'certificates.k8s.io', version: 'v1', kind: 'CertificateSigningRequest', plural: 'certificatesigningrequests', namespaced: false,
    shortNames: ['csr'], subresources: ['approval', 'status'], schema: CertificateSigningRequestSchema, openapiPrefix: OPENAPI_PREFIX.certificates,
  }),
  builtin({
    group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false,
    shortNames: ['crd', 'crds'], categories: ['api-extensions'],
    subresources: ['status'], schema: CustomResourceDefinitionSchema, openapiPrefix: OPENAPI_PREFIX.apiextensions,
  }),
  // Reviews are answered per request and never stored: create is their only verb.
  builtin({
    group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectAccessReview', plural: 'selfsubjectaccessreviews', namespaced: false,
    verbs: ['create'], schema: SelfSubjectAccessReviewSchema, openapiPrefix: OPENAPI_PREFIX.authorization,
  }),
  builtin({
    group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectRulesReview', plural: 'selfsubjectrulesreviews', namespaced: false,
    verbs: ['create'], schema: SelfSubjectRulesReviewSchema, openapiPrefix: OPENAPI_PREFIX.authorization,
  }),
  builtin({
    group: 'authentication.k8s.io', version: 'v1', kind: 'SelfSubjectReview', plural: 'selfsubjectreviews', namespaced: false,
    verbs: ['create'], schema: SelfSubjectReviewSchema, openapiPrefix: OPENAPI_PREFIX.authentication,
  }),
  builtin({
    group: 'authorization.k8s.io', version: 'v1', kind: 'SubjectAccessReview', plural: 'subjectaccessreviews', namespaced: false,
    verbs: ['create'], schema: SubjectAccessReviewSchema, openapiPrefix: OPENAPI_PREFIX.authorization,
  }),
  builtin({
    group: 'authentication.k8s.io', version: 'v1', kind: 'TokenReview', plural: 'tokenreviews', namespaced: false,
    verbs: ['create'], schema: TokenReviewSchema, openapiPrefix: OPENAPI_PREFIX.authentication,
  }),
  // kubectl before 1.28 asks `auth whoami` of v1beta1 only.
  builtin({
    group: 'authentication.k8s.io', version: 'v1beta1', kind: 'SelfSubjectReview', plural: 'selfsubjectreviews', namespaced: false,
    verbs: ['create'], schema: SelfSubjectReviewSchema, openapiPrefix: OPENAPI_PREFIX.authenticationBeta,
  }),
];

/** The built-in resource served at /{group}/{version}/{plural}, if any. */
export function findBuiltin(group: string, version: string, plural: string): ResourceDefinition | undefined {
  return BUILTIN_RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

/** The built-in resource of a kind in a group and version, if any. */
export function findBuiltinByKind(group: string, version: string, kind: string): ResourceDefinition | undefined {
  return BUILTIN_RESOURCES.find((r) => r.group === group && r.version === version && r.kind === kind);
}
