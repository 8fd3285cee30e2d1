// authorization.k8s.io/v1: the reviews, questions about permissions — a user's own (the self
// reviews) or, for servers that delegate authorization to the API server as a kubelet does, anyone's
// (SubjectAccessReview). They are answered per request and never stored.
import { Type, type Static } from '@sinclair/typebox';
import { boolean, describe, list, mapOf, object, string } from './fields.ts';
import { kindSchema } from './meta.ts';

const ResourceAttributesSchema = object('A request on a resource, as authorization sees it.', {
  namespace: string('Namespace of the request; empty for cluster-scoped resources or all namespaces.'),
  verb: string('get, list, watch, create, update, patch, delete, deletecollection, or another verb such as bind; * for all.'),
  group: string('API group of the resource; * for all.'),
  version: string('API version of the resource; * for all.'),
  resource: string('Resource, e.g. pods; * for all.'),
  subresource: string('Subresource, e.g. status or log.'),
  name: string('Name of the object; empty for all objects (list, watch, create).'),
});

const NonResourceAttributesSchema = object('A request on a URL path that is not a resource.', {
  path: string('The URL path, e.g. /healthz.'),
  verb: string('The HTTP method in lower case, e.g. get.'),
});

const AccessSpecFields = {
  resourceAttributes: describe(ResourceAttributesSchema, 'An action on a resource.'),
  nonResourceAttributes: describe(NonResourceAttributesSchema, 'An action on a URL path.'),
};

const SubjectAccessReviewStatusSchema = object('The answer.', {
  allowed: boolean('Whether the action is allowed.'),
  denied: boolean('Whether the action is explicitly denied (RBAC never denies; it only does not allow).'),
  reason: string('Why, e.g. the binding that allows it.'),
  evaluationError: string('An error met while deciding; the answer may still be usable.'),
}, ['allowed']);

export const SelfSubjectAccessReviewSchema = kindSchema('Asks whether the current user may perform an action (kubectl auth can-i).', {
  spec: describe(object('The action asked about: exactly one of resourceAttributes and nonResourceAttributes.', AccessSpecFields), 'The action asked about.'),
  status: describe(SubjectAccessReviewStatusSchema, 'The answer, filled in by the server.'),
}, ['spec']);

export const SubjectAccessReviewSchema = kindSchema('Asks whether a user may perform an action (how servers delegate authorization to the API server).', {
  spec: describe(object('The user and the action: exactly one of resourceAttributes and nonResourceAttributes.', {
    ...AccessSpecFields,
    user: string('The user asked about.'),
    groups: list(Type.String(), 'The groups of the user.'),
    uid: string('The uid of the user.'),
    extra: mapOf(list(Type.String(), 'Values of one key.'), 'Further facts about the user\'s credential.'),
  }), 'The user and the action.'),
  status: describe(SubjectAccessReviewStatusSchema, 'The answer, filled in by the server.'),
}, ['spec']);
export type SubjectAccessReview = Static<typeof SubjectAccessReviewSchema>;

const ResourceRuleSchema = object('Verbs allowed on resources.', {
  verbs: list(Type.String(), 'Verbs allowed; * for all.'),
  apiGroups: list(Type.String(), 'API groups of the resources; * for all.'),
  resources: list(Type.String(), 'Resources, e.g. pods or pods/log; * for all.'),
  resourceNames: list(Type.String(), 'Only objects with these names; all when empty.'),
}, ['verbs']);

const NonResourceRuleSchema = object('Verbs allowed on URL paths.', {
  verbs: list(Type.String(), 'Verbs allowed; * for all.'),
  nonResourceURLs: list(Type.String(), 'URL paths; a trailing * matches a prefix.'),
}, ['verbs']);

export const SelfSubjectRulesReviewSchema = kindSchema('Lists what the current user may do in a namespace (kubectl auth can-i --list).', {
  spec: describe(object('The namespace asked about.', {
    namespace: string('Namespace to evaluate rules for; cluster-wide rules are included.'),
  }), 'The namespace asked about.'),
  status: describe(object('The rules, filled in by the server.', {
    resourceRules: list(ResourceRuleSchema, 'Rules on resources.'),
    nonResourceRules: list(NonResourceRuleSchema, 'Rules on URL paths.'),
    incomplete: boolean('True when the list may miss rules (an authorizer that cannot enumerate them).'),
    evaluationError: string('An error met while listing; the list may still be usable.'),
  }, ['resourceRules', 'nonResourceRules', 'incomplete']), 'The rules, filled in by the server.'),
}, ['spec']);
