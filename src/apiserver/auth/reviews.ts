// The self-review APIs, computed per request and never stored: SelfSubjectAccessReview ("may I do
// this?", behind `kubectl auth can-i`), SelfSubjectRulesReview ("what may I do in this namespace?",
// `kubectl auth can-i --list`) and SelfSubjectReview ("who am I?", `kubectl auth whoami`).
import type { IncomingMessage } from 'node:http';
import type { PolicyRule } from '../../api/kinds/rbac.ts';
import { errors, fieldCause } from '../errors.ts';
import { sendJson } from '../http/codec.ts';
import type { ComputedResourceHandler } from '../http/handler.ts';
import { fieldRequirements, type Attributes, type Authorize } from './attributes.ts';
import type { RbacAuthorizer } from './rbac-authorizer.ts';
import type { UserInfo } from './user.ts';

const AUTHORIZATION = 'authorization.k8s.io';
const AUTHENTICATION = 'authentication.k8s.io';

type Review = { apiVersion?: unknown; kind?: unknown; metadata?: unknown; spec?: Record<string, unknown> };

export interface ReviewContext {
  /** The authenticated user of a request that passed the access check. */
  userOf(req: IncomingMessage): UserInfo;
  authorize: Authorize;
  rbac: RbacAuthorizer;
}

/** Handlers keyed "<group>/<plural>", as the request handler looks them up. */
export function selfReviewHandlers(ctx: ReviewContext): Map<string, ComputedResourceHandler> {
  return new Map<string, ComputedResourceHandler>([
    [`${AUTHORIZATION}/selfsubjectaccessreviews`, review('SelfSubjectAccessReview', (req, body) => {
      const spec = body.spec ?? {};
      return { spec, status: ctx.authorize(ctx.userOf(req), accessAttributes(spec)) };
    })],
    [`${AUTHORIZATION}/selfsubjectrulesreviews`, review('SelfSubjectRulesReview', (req, body) => {
      const namespace = body.spec?.namespace ?? '';
      if (typeof namespace !== 'string') throw invalid('SelfSubjectRulesReview', 'spec.namespace', 'must be a string');
      const rules = ctx.rbac.rulesFor(ctx.userOf(req), namespace);
      return { spec: { namespace }, status: { ...rulesStatus(rules), incomplete: false } };
    })],
    [`${AUTHENTICATION}/selfsubjectreviews`, review('SelfSubjectReview', (req) => {
      const user = ctx.userOf(req);
      return { status: { userInfo: { username: user.username, uid: user.uid, groups: user.groups, extra: user.extra } } };
    })],
  ]);
}

/** POST of a review: checks the body's kind, answers 201 with the review and its status. */
function review(kind: string, answer: (req: IncomingMessage, body: Review) => Record<string, unknown>): ComputedResourceHandler {
  return async ({ req, res, info, body }) => {
    if (info.verb !== 'create' || info.name) throw errors.methodNotAllowed(`${kind} supports create (POST to the collection) only`);
    const decoded = await body();
    if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) throw errors.badRequest(`the request body must be a ${kind} object`);
    const review = decoded as Review;
    if (review.kind !== undefined && review.kind !== kind) throw errors.badRequest(`the kind in the data (${String(review.kind)}) does not match the expected kind (${kind})`);
    const apiVersion = `${info.group}/${info.version}`;
    sendJson(res, 201, { kind, apiVersion, metadata: { creationTimestamp: null }, ...answer(req, review) });
  };
}

function accessAttributes(spec: Record<string, unknown>): Attributes {
  const resource = record(spec.resourceAttributes);
  const nonResource = record(spec.nonResourceAttributes);
  if ((resource === undefined) === (nonResource === undefined)) {
    throw invalid('SelfSubjectAccessReview', 'spec.resourceAttributes', 'exactly one of nonResourceAttributes or resourceAttributes must be specified');
  }
  if (nonResource) return { kind: 'nonresource', verb: text(nonResource.verb), path: text(nonResource.path) };
  // As Kubernetes 1.31+: resourceAttributes.fieldSelector.rawSelector, e.g. spec.nodeName=NAME.
  const fieldSelector = fieldRequirements(text(record(resource!.fieldSelector)?.rawSelector));
  return {
    kind: 'resource',
    verb: text(resource!.verb),
    apiGroup: text(resource!.group),
    apiVersion: text(resource!.version),
    resource: text(resource!.resource),
    subresource: text(resource!.subresource),
    namespace: text(resource!.namespace),
    name: text(resource!.name),
    ...(fieldSelector ? { fieldSelector } : {}),
  };
}

/** The rules as a SubjectRulesReviewStatus lists them: resource rules and URL rules apart. */
function rulesStatus(rules: PolicyRule[]) {
  const resourceRules = rules.filter((r) => (r.resources ?? []).length > 0).map((r) => ({
    verbs: r.verbs, apiGroups: r.apiGroups ?? [], resources: r.resources, ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}),
  }));
  const nonResourceRules = rules.filter((r) => (r.nonResourceURLs ?? []).length > 0).map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs }));
  return { resourceRules, nonResourceRules };
}

function invalid(kind: string, field: string, message: string) {
  return errors.invalid({ group: AUTHORIZATION, kind }, [fieldCause('FieldValueInvalid', field, `Invalid value: ${message}`)]);
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
