// What an authorization decision is about (Kubernetes' authorizer.Attributes): a verb on either a
// resource (API group, resource, subresource, namespace, name) or a URL path; how a request maps
// to them; and the 403 Kubernetes gives when the answer is no.
import { parseFieldSelector, SelectorError, type FieldRequirement } from '../../api/selectors.ts';
import { ApiError, errors } from '../errors.ts';
import type { RequestInfo } from '../http/request-info.ts';
import type { UserInfo } from './user.ts';

export interface ResourceAttributes {
  kind: 'resource';
  verb: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  /** Empty for cluster-scoped resources and requests across all namespaces. */
  namespace: string;
  /** Empty for collections (list, watch, create), unless a list or watch selects one name (metadata.name=NAME). */
  name: string;
  /** The field selector of a list, watch or deletecollection, when it has one (as Kubernetes' GetFieldSelector). */
  fieldSelector?: FieldRequirement[];
}

export interface NonResourceAttributes {
  kind: 'nonresource';
  verb: string;
  path: string;
}

export type Attributes = ResourceAttributes | NonResourceAttributes;

export interface Decision {
  allowed: boolean;
  /** Why, in words (e.g. which binding allowed it); may be empty. */
  reason: string;
}

export type Authorize = (user: UserInfo, attributes: Attributes) => Decision;

/**
 * The attributes of an HTTP request, from its request info and query. As in Kubernetes, a list or
 * watch whose field selector names one object (metadata.name=NAME) is about that object, so a
 * rule with resourceNames, or a node allowed one Secret, may watch just it.
 */
export function requestAttributes(info: RequestInfo, method: string, query?: URLSearchParams): Attributes {
  // Kubernetes names a non-resource request's verb after the HTTP method as it is (get, post, ...).
  if (info.kind === 'nonresource') return { kind: 'nonresource', verb: method.toLowerCase(), path: info.path };
  // A namespace lies in itself: a RoleBinding in namespace "a" may grant reading namespace "a".
  const ownNamespace = info.group === '' && info.resource === 'namespaces' && info.name ? info.name : '';
  const collection = info.verb === 'list' || info.verb === 'watch' || info.verb === 'deletecollection';
  const fieldSelector = collection ? fieldRequirements(query?.get('fieldSelector')) : undefined;
  const selectedName = info.verb === 'deletecollection' ? undefined : fieldSelector?.find((r) => r.field === 'metadata.name' && r.operator === '=')?.value;
  return {
    kind: 'resource',
    verb: info.verb,
    apiGroup: info.group,
    apiVersion: info.version,
    resource: info.resource,
    subresource: info.subresource ?? '',
    namespace: info.namespace ?? ownNamespace,
    name: info.name ?? selectedName ?? '',
    ...(fieldSelector ? { fieldSelector } : {}),
  };
}

/** A field selector's requirements; undefined for none, and for one that does not parse (the request then fails with 400). */
export function fieldRequirements(text: string | null | undefined): FieldRequirement[] | undefined {
  if (!text) return undefined;
  try {
    const requirements = parseFieldSelector(text);
    return requirements.length > 0 ? requirements : undefined;
  } catch (err) {
    if (err instanceof SelectorError) return undefined;
    throw err;
  }
}

/**
 * Kubernetes' 403: `configmaps is forbidden: User "alice" cannot list resource "configmaps" in API
 * group "" in the namespace "default"`, with the object's name when there is one.
 */
export function forbidden(user: UserInfo, a: Attributes, reason = ''): ApiError {
  const suffix = reason ? `: ${reason}` : '';
  if (a.kind === 'nonresource') {
    return errors.forbidden('', '', '', `User ${quote(user.username)} cannot ${a.verb} path ${quote(a.path)}${suffix}`);
  }
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace ${quote(a.namespace)}` : 'at the cluster scope';
  const why = `User ${quote(user.username)} cannot ${a.verb} resource ${quote(resource)} in API group ${quote(a.apiGroup)} ${scope}${suffix}`;
  return errors.forbidden(a.resource, a.apiGroup, a.name, why);
}

/** Go's %q for the plain strings these messages hold. */
export function quote(s: string): string {
  return JSON.stringify(s);
}
