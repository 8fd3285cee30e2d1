// The URLs one resource is served at and the operations on each, independent of the OpenAPI
// version they are rendered in: collection and item paths (namespaced and across all
// namespaces), the deprecated /watch/ paths, and the subresources.
import type { GroupVersionKind } from '../../api/meta.ts';
import type { ResourceDefinition } from '../../api/resources.ts';
import type { JSONSchemaProps } from '../../api/schema.ts';
import { isBuiltin, kindDefinitionName, listDefinitionName, operationId, operationTag, titleCase } from './names.ts';
import { ref } from './schema-walk.ts';
import { BINDING, DELETE_OPTIONS, EVICTION, PATCH, SCALE, STATUS, TOKEN_REQUEST, WATCH_EVENT } from './shared-definitions.ts';

export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch';
export const HTTP_METHODS: readonly HttpMethod[] = ['get', 'put', 'post', 'delete', 'patch'];

export interface ParameterSpec {
  name: string;
  in: 'query' | 'path';
  type: 'string' | 'integer' | 'boolean';
  description: string;
  required?: boolean;
}

export interface ResponseSpec {
  description: string;
  schema?: JSONSchemaProps;
}

export interface OperationSpec {
  operationId: string;
  description: string;
  tag: string;
  /** Kubernetes' x-kubernetes-action: get, list, watch, watchlist, post, put, patch, delete, deletecollection. */
  action: string;
  gvk: GroupVersionKind;
  /** Query parameters of this operation; path parameters live on the path. */
  parameters: ParameterSpec[];
  body?: { schema: JSONSchemaProps; required: boolean; consumes: string[] };
  produces: string[];
  /** HTTP status code → response. */
  responses: Record<string, ResponseSpec>;
}

export interface PathSpec {
  parameters: ParameterSpec[];
  operations: Partial<Record<HttpMethod, OperationSpec>>;
}

const query = (name: string, type: ParameterSpec['type'], description: string): ParameterSpec => ({ name, in: 'query', type, description });

const PRETTY = query('pretty', 'string', "If 'true', the response is indented for people to read.");
const NAMESPACE: ParameterSpec = { name: 'namespace', in: 'path', type: 'string', required: true, description: 'The namespace the objects live in.' };

const ALLOW_WATCH_BOOKMARKS = query('allowWatchBookmarks', 'boolean', 'Asks a watch for BOOKMARK events, which carry only a resourceVersion and tell the client how far it has seen. Ignored when not watching.');
const CONTINUE = query('continue', 'string', 'The continue token of the previous page, to read the next page of a limited list. The rest of the query must be the same as for the first page.');
const FIELD_SELECTOR = query('fieldSelector', 'string', 'Returns only the objects whose fields match, e.g. metadata.name=web. Defaults to everything.');
const LABEL_SELECTOR = query('labelSelector', 'string', 'Returns only the objects whose labels match, e.g. app=web,tier!=cache. Defaults to everything.');
const LIMIT = query('limit', 'integer', 'The most items to return. When more remain, the list metadata carries a continue token for the next page.');
const RESOURCE_VERSION = query('resourceVersion', 'string', 'Which version of the data the read may be served from; see resourceVersionMatch. For a watch, the version to start after.');
const RESOURCE_VERSION_MATCH = query('resourceVersionMatch', 'string', 'How resourceVersion applies to a list: "Exact" or "NotOlderThan". Only valid together with resourceVersion.');
const SEND_INITIAL_EVENTS = query('sendInitialEvents', 'boolean', 'With watch=true, first sends the current objects as ADDED events, then a BOOKMARK marking the end of them.');
const TIMEOUT_SECONDS = query('timeoutSeconds', 'integer', 'Ends the list or watch call after this many seconds, whatever happens.');
const WATCH = query('watch', 'boolean', 'Watches for changes instead of listing; combine with resourceVersion to start from a known point.');

const DRY_RUN = query('dryRun', 'string', 'When "All", the request is checked and answered as usual but nothing is stored.');
const FIELD_MANAGER = query('fieldManager', 'string', 'The name of the actor making the change, recorded in managedFields: at most 128 printable characters. Required for apply patches.');
const FIELD_VALIDATION = query('fieldValidation', 'string', 'What the server does with unknown or duplicate fields in the body: "Ignore" drops them, "Warn" drops them with a warning per field, "Strict" fails the request.');
const FORCE = query('force', 'boolean', 'For apply patches only: takes ownership of fields other managers own instead of failing with a conflict.');
const GRACE_PERIOD_SECONDS = query('gracePeriodSeconds', 'integer', "Seconds the object has to terminate before it is removed; 0 means at once. Defaults to the kind's own grace period.");
const ORPHAN_DEPENDENTS = query('orphanDependents', 'boolean', 'Deprecated; use propagationPolicy. When true, dependents are orphaned rather than deleted.');
const PROPAGATION_POLICY = query('propagationPolicy', 'string', 'What happens to dependents: "Orphan" keeps them, "Background" deletes them after the owner, "Foreground" deletes them before the owner.');

const LIST_PARAMETERS = [ALLOW_WATCH_BOOKMARKS, CONTINUE, FIELD_SELECTOR, LABEL_SELECTOR, LIMIT, RESOURCE_VERSION, RESOURCE_VERSION_MATCH, SEND_INITIAL_EVENTS, TIMEOUT_SECONDS, WATCH];
const WRITE_PARAMETERS = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];
const PATCH_PARAMETERS = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE];
const DELETE_PARAMETERS = [DRY_RUN, GRACE_PERIOD_SECONDS, ORPHAN_DEPENDENTS, PROPAGATION_POLICY];
const DELETE_COLLECTION_PARAMETERS = [
  CONTINUE, DRY_RUN, FIELD_SELECTOR, GRACE_PERIOD_SECONDS, LABEL_SELECTOR, LIMIT, ORPHAN_DEPENDENTS, PROPAGATION_POLICY,
  RESOURCE_VERSION, RESOURCE_VERSION_MATCH, SEND_INITIAL_EVENTS, TIMEOUT_SECONDS,
];
const LOG_PARAMETERS = [
  query('container', 'string', 'The container to read the log of; may be omitted when the pod has one container.'),
  query('follow', 'boolean', 'Keeps the response open and streams new log lines as they are written.'),
  query('limitBytes', 'integer', 'The most bytes of log to return.'),
  query('previous', 'boolean', 'Returns the log of the previous, terminated run of the container.'),
  query('sinceSeconds', 'integer', 'Returns only the lines written in the last this many seconds.'),
  query('tailLines', 'integer', 'Returns only this many lines from the end of the log.'),
  query('timestamps', 'boolean', 'Starts every line with the time it was written.'),
];

const JSON_PATCH = 'application/json-patch+json';
const MERGE_PATCH = 'application/merge-patch+json';
const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
const APPLY_PATCH = 'application/apply-patch+yaml';

const OBJECT_MEDIA_TYPES = ['application/json', 'application/yaml'];
const STREAM_MEDIA_TYPES = [...OBJECT_MEDIA_TYPES, 'application/json;stream=watch'];
const ANY_MEDIA_TYPE = ['*/*'];

const OK = 'OK';
const UNAUTHORIZED: ResponseSpec = { description: 'Unauthorized' };

/** What a subresource serves: its methods and the kind it reads and writes (the resource's own when absent). */
interface SubresourceShape {
  methods: HttpMethod[];
  kind?: { gvk: GroupVersionKind; definition: string };
}

const SUBRESOURCES: Record<string, SubresourceShape> = {
  status: { methods: ['get', 'put', 'patch'] },
  scale: { methods: ['get', 'put', 'patch'], kind: { gvk: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, definition: SCALE } },
  binding: { methods: ['post'], kind: { gvk: { group: '', version: 'v1', kind: 'Binding' }, definition: BINDING } },
  eviction: { methods: ['post'], kind: { gvk: { group: 'policy', version: 'v1', kind: 'Eviction' }, definition: EVICTION } },
  token: { methods: ['post'], kind: { gvk: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }, definition: TOKEN_REQUEST } },
  log: { methods: ['get'] },
  finalize: { methods: ['put'] },
  approval: { methods: ['get', 'put', 'patch'] },
};

/** URL → path, for every URL the resource is served at. */
export function resourcePaths(r: ResourceDefinition): Map<string, PathSpec> {
  const paths = new Map<string, PathSpec>();
  const can = (verb: string) => r.verbs.includes(verb);
  const root = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const scope = r.namespaced ? '/namespaces/{namespace}' : '';
  const scopeParameters = r.namespaced ? [NAMESPACE] : [];
  const name: ParameterSpec = { name: 'name', in: 'path', type: 'string', required: true, description: `The name of the ${r.kind}.` };
  const ops = new OperationFactory(r);
  const add = (url: string, parameters: ParameterSpec[], operations: Partial<Record<HttpMethod, OperationSpec>>) => {
    if (Object.keys(operations).length > 0) paths.set(url, { parameters: [...parameters, PRETTY], operations });
  };

  const collection = `${root}${scope}/${r.plural}`;
  add(collection, scopeParameters, {
    ...(can('list') && { get: ops.list(ops.scoped) }),
    ...(can('create') && { post: ops.create() }),
    ...(can('deletecollection') && { delete: ops.deleteCollection() }),
  });
  add(`${collection}/{name}`, [name, ...scopeParameters], {
    ...(can('get') && { get: ops.read() }),
    ...(can('update') && { put: ops.replace() }),
    ...(can('patch') && { patch: ops.patch() }),
    ...(can('delete') && { delete: ops.delete() }),
  });
  if (r.namespaced && can('list')) add(`${root}/${r.plural}`, [], { get: ops.list(`${r.kind}ForAllNamespaces`) });
  if (can('watch')) {
    add(`${root}/watch${scope}/${r.plural}`, scopeParameters, { get: ops.watch(`${ops.scoped}List`, 'watchlist') });
    add(`${root}/watch${scope}/${r.plural}/{name}`, [name, ...scopeParameters], { get: ops.watch(ops.scoped, 'watch') });
    if (r.namespaced) add(`${root}/watch/${r.plural}`, [], { get: ops.watch(`${r.kind}ListForAllNamespaces`, 'watchlist') });
  }
  for (const subresource of r.subresources) {
    const operations: Partial<Record<HttpMethod, OperationSpec>> = {};
    for (const method of (SUBRESOURCES[subresource] ?? { methods: ['get'] }).methods) {
      operations[method] = ops.subresource(subresource, method);
    }
    add(`${collection}/{name}/${subresource}`, [name, ...scopeParameters], operations);
  }
  return paths;
}

/** Builds the operations of one resource, named and described as Kubernetes names them. */
class OperationFactory {
  private readonly r: ResourceDefinition;
  private readonly gvk: GroupVersionKind;
  private readonly kindRef: JSONSchemaProps;
  private readonly tag: string;
  /** The operation id stem of the resource's own scope: NamespacedPod or Node. */
  readonly scoped: string;

  constructor(r: ResourceDefinition) {
    this.r = r;
    this.gvk = { group: r.group, version: r.version, kind: r.kind };
    this.kindRef = ref(kindDefinitionName(r));
    this.tag = operationTag(r.group, r.version);
    this.scoped = `${r.namespaced ? 'Namespaced' : ''}${r.kind}`;
  }

  list(stem: string): OperationSpec {
    return this.operation('list', stem, 'list', `Lists ${this.r.kind} objects, or watches them with watch=true.`, {
      parameters: LIST_PARAMETERS, produces: STREAM_MEDIA_TYPES, responses: { 200: { description: OK, schema: ref(listDefinitionName(this.r)) } },
    });
  }

  watch(stem: string, action: 'watch' | 'watchlist'): OperationSpec {
    const what = action === 'watch' ? `one ${this.r.kind}` : `${this.r.kind} objects`;
    return this.operation('watch', stem, action, `Watches changes to ${what}. Deprecated: list with watch=true instead.`, {
      parameters: LIST_PARAMETERS, produces: STREAM_MEDIA_TYPES, responses: { 200: { description: OK, schema: ref(WATCH_EVENT) } },
    });
  }

  create(): OperationSpec {
    return this.operation('create', this.scoped, 'post', `Creates a ${this.r.kind}.`, {
      parameters: WRITE_PARAMETERS,
      body: { schema: this.kindRef, required: true, consumes: ANY_MEDIA_TYPE },
      responses: { 200: { description: OK, schema: this.kindRef }, 201: { description: 'Created', schema: this.kindRef }, 202: { description: 'Accepted', schema: this.kindRef } },
    });
  }

  read(): OperationSpec {
    return this.operation('read', this.scoped, 'get', `Reads the named ${this.r.kind}.`, {
      parameters: [], responses: { 200: { description: OK, schema: this.kindRef } },
    });
  }

  replace(): OperationSpec {
    return this.operation('replace', this.scoped, 'put', `Replaces the named ${this.r.kind}.`, {
      parameters: WRITE_PARAMETERS,
      body: { schema: this.kindRef, required: true, consumes: ANY_MEDIA_TYPE },
      responses: { 200: { description: OK, schema: this.kindRef }, 201: { description: 'Created', schema: this.kindRef } },
    });
  }

  patch(): OperationSpec {
    return this.patchOperation(this.scoped, `Partially updates the named ${this.r.kind}.`, this.kindRef, this.gvk);
  }

  delete(): OperationSpec {
    // Kubernetes answers a built-in deletion with the object, a custom resource's with a Status.
    const result = isBuiltin(this.r) ? this.kindRef : ref(STATUS);
    return this.operation('delete', this.scoped, 'delete', `Deletes the named ${this.r.kind}.`, {
      parameters: DELETE_PARAMETERS,
      body: { schema: ref(DELETE_OPTIONS), required: false, consumes: ANY_MEDIA_TYPE },
      responses: { 200: { description: OK, schema: result }, 202: { description: 'Accepted', schema: result } },
    });
  }

  deleteCollection(): OperationSpec {
    return this.operation('delete', `Collection${this.scoped}`, 'deletecollection', `Deletes every ${this.r.kind} that matches the selectors.`, {
      parameters: DELETE_COLLECTION_PARAMETERS,
      body: { schema: ref(DELETE_OPTIONS), required: false, consumes: ANY_MEDIA_TYPE },
      responses: { 200: { description: OK, schema: ref(STATUS) } },
    });
  }

  subresource(subresource: string, method: HttpMethod): OperationSpec {
    const shape = SUBRESOURCES[subresource];
    const stem = `${this.scoped}${titleCase(subresource)}`;
    const gvk = shape?.kind?.gvk ?? this.gvk;
    const schema = shape?.kind ? ref(shape.kind.definition) : this.kindRef;
    const of = `the ${subresource} of the named ${this.r.kind}`;
    switch (method) {
      case 'patch':
        return this.patchOperation(stem, `Partially updates ${of}.`, schema, gvk);
      case 'put':
        return this.operation('replace', stem, 'put', `Replaces ${of}.`, {
          parameters: WRITE_PARAMETERS, gvk,
          body: { schema, required: true, consumes: ANY_MEDIA_TYPE },
          responses: { 200: { description: OK, schema }, 201: { description: 'Created', schema } },
        });
      case 'post':
        return this.operation('create', stem, 'post', `Creates ${of}.`, {
          parameters: WRITE_PARAMETERS, gvk,
          body: { schema, required: true, consumes: ANY_MEDIA_TYPE },
          responses: { 200: { description: OK, schema }, 201: { description: 'Created', schema }, 202: { description: 'Accepted', schema } },
        });
      default:
        if (subresource === 'log') {
          return this.operation('read', stem, 'get', `Reads the log of a container of the named ${this.r.kind}.`, {
            parameters: LOG_PARAMETERS, gvk, produces: ['text/plain', ...OBJECT_MEDIA_TYPES],
            responses: { 200: { description: OK, schema: { type: 'string' } } },
          });
        }
        return this.operation('read', stem, 'get', `Reads ${of}.`, { parameters: [], gvk, responses: { 200: { description: OK, schema } } });
    }
  }

  private patchOperation(stem: string, description: string, schema: JSONSchemaProps, gvk: GroupVersionKind): OperationSpec {
    // Strategic merge patch needs the patch strategies of built-in types; custom resources have none.
    const consumes = isBuiltin(this.r) ? [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH] : [JSON_PATCH, MERGE_PATCH, APPLY_PATCH];
    return this.operation('patch', stem, 'patch', description, {
      parameters: PATCH_PARAMETERS, gvk,
      body: { schema: ref(PATCH), required: true, consumes },
      responses: { 200: { description: OK, schema }, 201: { description: 'Created', schema } },
    });
  }

  private operation(
    verb: string, stem: string, action: string, description: string,
    spec: Pick<OperationSpec, 'parameters' | 'responses'> & Partial<Pick<OperationSpec, 'body' | 'produces' | 'gvk'>>,
  ): OperationSpec {
    return {
      operationId: operationId(verb, this.r.group, this.r.version, stem),
      description,
      tag: this.tag,
      action,
      gvk: spec.gvk ?? this.gvk,
      parameters: spec.parameters,
      ...(spec.body && { body: spec.body }),
      produces: spec.produces ?? OBJECT_MEDIA_TYPES,
      responses: { ...spec.responses, 401: UNAUTHORIZED },
    };
  }
}
