// Which message carries each kind clients send as protobuf, keyed by apiVersion and kind.
import { AUTHENTICATION_V1 } from './definitions/authentication.ts';
import { AUTHORIZATION_V1 } from './definitions/authorization.ts';
import { CERTIFICATES_V1 } from './definitions/certificates.ts';
import { COORDINATION_V1 } from './definitions/coordination.ts';
import { CORE_V1 } from './definitions/core.ts';
import { DISCOVERY_V1 } from './definitions/discovery.ts';
import { EVENTS_V1 } from './definitions/events.ts';
import { META_V1 } from './definitions/meta.ts';
import { NODE_V1 } from './definitions/node.ts';
import { RBAC_V1 } from './definitions/rbac.ts';
import { Schema } from './schema.ts';

export const KUBERNETES_SCHEMA = new Schema([META_V1, CORE_V1, RBAC_V1, COORDINATION_V1, EVENTS_V1, AUTHORIZATION_V1, AUTHENTICATION_V1, CERTIFICATES_V1, DISCOVERY_V1, NODE_V1]);

const MESSAGES_BY_API_VERSION: Record<string, Record<string, string>> = {
  v1: {
    Binding: 'core.Binding',
    ConfigMap: 'core.ConfigMap',
    Event: 'core.Event',
    Namespace: 'core.Namespace',
    Pod: 'core.Pod',
    Secret: 'core.Secret',
    Service: 'core.Service',
    ServiceAccount: 'core.ServiceAccount',
  },
  'rbac.authorization.k8s.io/v1': {
    ClusterRole: 'rbac.ClusterRole',
    ClusterRoleBinding: 'rbac.ClusterRoleBinding',
    Role: 'rbac.Role',
    RoleBinding: 'rbac.RoleBinding',
  },
  'coordination.k8s.io/v1': { Lease: 'coordination.Lease' },
  'certificates.k8s.io/v1': { CertificateSigningRequest: 'certificates.CertificateSigningRequest' },
  'events.k8s.io/v1': { Event: 'events.Event' },
  'discovery.k8s.io/v1': { EndpointSlice: 'discovery.EndpointSlice' },
  'node.k8s.io/v1': { RuntimeClass: 'node.RuntimeClass' },
  'authorization.k8s.io/v1': {
    LocalSubjectAccessReview: 'authorization.LocalSubjectAccessReview',
    SelfSubjectAccessReview: 'authorization.SelfSubjectAccessReview',
    SelfSubjectRulesReview: 'authorization.SelfSubjectRulesReview',
    SubjectAccessReview: 'authorization.SubjectAccessReview',
  },
  'authentication.k8s.io/v1': {
    SelfSubjectReview: 'authentication.SelfSubjectReview',
    TokenRequest: 'authentication.TokenRequest',
    TokenReview: 'authentication.TokenReview',
  },
};

/** The message for a kind, or undefined when this server cannot decode it from protobuf. */
export function messageForKind(apiVersion: string, kind: string): string | undefined {
  // Kubernetes registers DeleteOptions in every group version, and clients label it with the
  // version of the resource they delete.
  if (kind === 'DeleteOptions' && (apiVersion === 'meta.k8s.io/v1' || Object.hasOwn(MESSAGES_BY_API_VERSION, apiVersion))) {
    return 'meta.DeleteOptions';
  }
  const kinds = Object.hasOwn(MESSAGES_BY_API_VERSION, apiVersion) ? MESSAGES_BY_API_VERSION[apiVersion] : undefined;
  return kinds && Object.hasOwn(kinds, kind) ? kinds[kind] : undefined;
}
