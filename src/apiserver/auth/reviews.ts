// The review APIs, computed per request and never stored: SelfSubjectAccessReview ("may I do
// this?", behind `kubectl auth can-i`), SelfSubjectRulesReview ("what may I do in this namespace?",
// `kubectl auth can-i --list`) and SelfSubjectReview ("who am I?", `kubectl auth whoami`); and the
// two a server asks when it delegates its own access control to the API server, as a kubelet does
// for its metrics and logs: TokenReview ("whose token is this?") and SubjectAccessReview ("may
// this user do that?"). Who may ask those two is up to authorization (system:auth-delegator).
import type { IncomingMessage } from 'node:http';
import type { PolicyRule } from '../../api/kinds/rbac.ts';
import { errors, fieldCause } from '../errors.ts';
import { sendJson } from '../http/codec.ts';
import type { ComputedResourceHandler } from '../http/handler.ts';
import { fieldRequirements, type Attributes, type Authorize } from './attributes.ts';
import type { RbacAuthorizer } from './rbac-authorizer.ts';
import type { Authentication } from './authenticator.ts';
import type { UserInfo } from './user.ts';

const AUTHORIZATION = 'authorization.k8s.io';
const AUTHENTICATION = 'authentication.k8s.io';

type Review = { apiVersion?: unknown; kind?: unknown; metadata?: unknown; spec?: Record<string, unknown> };

export interface ReviewContext {
  /** The authenticated user of a request that passed the access check. */
  userOf(req: IncomingMessage): UserInfo;
  authorize: Authorize;
  rbac: RbacAuthorizer;
  authenticateToken(token: string): Authentication;
  /** The audiences a token must be meant for to be accepted here. */
  apiAudiences: string[];
}

/** Handlers keyed "<group>/<plural>", as the request handler looks them up. */
export function selfReviewHandlers(ctx: ReviewContext): Map<string, ComputedResourceHandler> {
  return new Map<string, ComputedResourceHandler>([
    [`${AUTHORIZATION}/selfsubjectaccessreviews`, review('SelfSubjectAccessReview', (req, body) => {
      const spec = body.spec ?? {};
      return { spec, status: ctx.authorize(ctx.userOf(req), accessAttributes(spec, 'SelfSubjectAccessReview')) };
    })],
    [`${AUTHORIZATION}/selfsubjectrulesreviews`, review('SelfSubjectRulesReview', (req, body) => {
      const namespace = body.spec?.namespace ?? '';
      if (typeof namespace !== 'string') throw invalid('SelfSubjectRulesReview', 'spec.namespace', 'must be a string');
      const rules = ctx.rbac.rulesFor(ctx.userOf(req), namespace);
      return { spec: { namespace }, status: { ...rulesStatus(rules), incomplete: false } };
    })],
    [`${AUTHENTICATION}/selfsubjectreviews`, review('SelfSubjectReview', (req) => {
      return { status: { userInfo: userInfo(ctx.userOf(req)) } };
    })],
    [`${AUTHORIZATION}/subjectaccessreviews`, review('SubjectAccessReview', (_req, body) => {
      const spec = body.spec ?? {};
      const username = text(spec.user);
      const groups = Array.isArray(spec.groups) ? spec.groups.filter((g): g is string => typeof g === 'string') : [];
      if (!username && groups.length === 0) throw invalid('SubjectAccessReview', 'spec.user', 'at least one of user or group must be specified');
      const extra = record(spec.extra) as Record<string, string[]> | undefined;
      const subject: UserInfo = { username, groups, ...(text(spec.uid) ? { uid: text(spec.uid) } : {}), ...(extra ? { extra } : {}) };
      return { spec, status: ctx.authorize(subject, accessAttributes(spec, 'SubjectAccessReview')) };
    })],
    [`${AUTHENTICATION}/tokenreviews`, review('TokenReview', (_req, body) => {
      const spec = body.spec ?? {};
      const token = text(spec.token);
      if (!token) throw invalid('TokenReview', 'spec.token', 'a token is required', AUTHENTICATION);
      const asked = Array.isArray(spec.audiences) ? spec.audiences.filter((a): a is string => typeof a === 'string') : [];
      // Tokens are checked against this server's audiences; an asker accepting none of them gets none.
      const audiences = asked.length === 0 ? ctx.apiAudiences : asked.filter((a) => ctx.apiAudiences.includes(a));
      const result = ctx.authenticateToken(token);
      const status = 'user' in result && audiences.length > 0
        ? { authenticated: true, user: userInfo(result.user), audiences }
        : { authenticated: false, user: {}, error: 'user' in result ? 'the token is not meant for any of the audiences asked for' : result.reasons.join('; ') };
      // The token is a secret: the answer does not repeat it.
      return { spec: { ...spec, token: '' }, status };
    })],
  ]);
}

function userInfo(user: UserInfo) {
  return { username: user.username, uid: user.uid, groups: user.groups, extra: user.extra };
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

function accessAttributes(spec: Record<string, unknown>, kind: string): Attributes {
  const resource = record(spec.resourceAttributes);
  const nonResource = record(spec.nonResourceAttributes);
  if ((resource === undefined) === (nonResource === undefined)) {
    throw invalid(kind, 'spec.resourceAttributes', 'exactly one of nonResourceAttributes or resourceAttributes must be specified');
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

function invalid(kind: string, field: string, message: string, group = AUTHORIZATION) {
  return errors.invalid({ group, kind }, [fieldCause('FieldValueInvalid', field, `Invalid value: ${message}`)]);
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
