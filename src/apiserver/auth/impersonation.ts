// Impersonation, as Kubernetes does it (apiserver's WithImpersonation): an authenticated user acts
// as another with the headers Impersonate-User, Impersonate-Group (repeatable), Impersonate-Uid and
// Impersonate-Extra-<key> (repeatable; the key percent-encoded). Each part needs the verb
// `impersonate` on its own resource — users, groups, serviceaccounts (a user named
// system:serviceaccount:NS:NAME), uids and userextras/<key> (the last two in
// authentication.k8s.io) — or the request is 403. The request is then authenticated as the
// impersonated user alone: only the groups asked for (a ServiceAccount's own groups when none are),
// plus system:authenticated; nothing of the requester's. `kubectl --as` and `--as-group` send these.
import type { IncomingMessage } from 'node:http';
import { ApiError } from '../errors.ts';
import { forbidden, type Authorize, type ResourceAttributes } from './attributes.ts';
import { AUTHENTICATED_GROUP, serviceAccountGroups, type UserInfo } from './user.ts';

const USER = 'impersonate-user';
const GROUP = 'impersonate-group';
const UID = 'impersonate-uid';
const EXTRA_PREFIX = 'impersonate-extra-';
const UNAUTHENTICATED_GROUP = 'system:unauthenticated';
const SERVICE_ACCOUNT = /^system:serviceaccount:([^:]+):([^:]+)$/;
const AUTHENTICATION_GROUP = 'authentication.k8s.io';

/** One thing a request asks to act as, and what authorizing it means. */
interface ImpersonationRequest {
  attributes: ResourceAttributes;
  apply(acting: { username: string; uid?: string; groups: string[]; extra: Record<string, string[]>; groupsGiven: boolean }): void;
}

const impersonate = (resource: string, name: string, extra: Partial<ResourceAttributes> = {}): ResourceAttributes => ({
  kind: 'resource', verb: 'impersonate', apiGroup: '', apiVersion: 'v1', resource, subresource: '', namespace: '', name, ...extra,
});

/** The impersonation a request asks for, in Kubernetes' order: user, groups, extras, uid. */
function impersonationRequests(req: IncomingMessage): ImpersonationRequest[] {
  const headers = req.headersDistinct;
  const requests: ImpersonationRequest[] = [];
  const username = headers[USER]?.[0] ?? '';
  if (username) {
    const sa = SERVICE_ACCOUNT.exec(username);
    requests.push(sa
      ? {
        attributes: impersonate('serviceaccounts', sa[2], { namespace: sa[1] }),
        apply: (acting) => {
          acting.username = username;
          if (!acting.groupsGiven) acting.groups.push(...serviceAccountGroups(sa[1]));
        },
      }
      : { attributes: impersonate('users', username), apply: (acting) => void (acting.username = username) });
  }
  for (const group of headers[GROUP] ?? []) {
    requests.push({ attributes: impersonate('groups', group), apply: (acting) => void acting.groups.push(group) });
  }
  for (const [header, values] of Object.entries(headers)) {
    if (!header.startsWith(EXTRA_PREFIX)) continue;
    const key = unescapeExtraKey(header.slice(EXTRA_PREFIX.length));
    for (const value of values ?? []) {
      requests.push({
        attributes: impersonate('userextras', value, { apiGroup: AUTHENTICATION_GROUP, subresource: key }),
        apply: (acting) => void (acting.extra[key] ??= []).push(value),
      });
    }
  }
  const uid = headers[UID]?.[0] ?? '';
  if (uid) requests.push({ attributes: impersonate('uids', uid, { apiGroup: AUTHENTICATION_GROUP }), apply: (acting) => void (acting.uid = uid) });
  if (requests.length > 0 && !username) {
    // Kubernetes answers this with an internal error, too.
    throw new ApiError(500, 'InternalError', 'requested impersonation of groups, a uid or extra fields without impersonating a user (Impersonate-User)');
  }
  return requests;
}

/** Percent-encoded extra keys (Impersonate-Extra-Example.com%2fscope) are decoded; a bad encoding is kept as sent. */
function unescapeExtraKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}

/**
 * The user a request acts as: the impersonated user when it asks for one and `requestor` may
 * impersonate every part of it (403 naming the first part refused otherwise), else `requestor`.
 */
export function impersonatedUser(req: IncomingMessage, requestor: UserInfo, authorize: Authorize): UserInfo | undefined {
  const requests = impersonationRequests(req);
  if (requests.length === 0) return undefined;
  const groupsGiven = requests.some((r) => r.attributes.resource === 'groups');
  const acting = { username: '', uid: undefined as string | undefined, groups: [] as string[], extra: {} as Record<string, string[]>, groupsGiven };
  for (const request of requests) {
    const decision = authorize(requestor, request.attributes);
    if (!decision.allowed) throw forbidden(requestor, request.attributes, decision.reason);
    request.apply(acting);
  }
  if (!acting.groups.includes(AUTHENTICATED_GROUP) && !acting.groups.includes(UNAUTHENTICATED_GROUP)) acting.groups.push(AUTHENTICATED_GROUP);
  return {
    username: acting.username, groups: acting.groups,
    ...(acting.uid ? { uid: acting.uid } : {}),
    ...(Object.keys(acting.extra).length > 0 ? { extra: acting.extra } : {}),
  };
}
