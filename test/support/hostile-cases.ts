// Hostile requests, generated: malformed and oversized bodies, patches of every type, URLs,
// queries and headers, for every route the API server's discovery documents name. Each case is
// one request a client library would never send; the server must answer it with a Status (never
// a 5xx), or close the connection, and stay up. Used by test/apiserver/hostile.test.ts.

export interface Route {
  /** e.g. "pods" or "pods/status". */
  resource: string;
  group: string;
  version: string;
  namespaced: boolean;
  verbs: string[];
}

export interface HostileCase {
  what: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Sent without credentials. */
  anonymous?: boolean;
}

/** The namespace destructive cases are confined to (deletes never reach other namespaces). */
export const HOSTILE_NAMESPACE = 'hostile';

const JSON_TYPE = 'application/json';
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

const nest = (depth: number, leaf = '1') => `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
const manyKeys = (n: number) => `{${Array.from({ length: n }, (_, i) => `"k${i}":"v"`).join(',')}}`;
const deepYaml = (depth: number) => `${'- '.repeat(depth)}x\n`;

/** Bodies a create or update must refuse (or, for the few that are valid JSON, handle) without a 5xx. */
export function hostileBodies(kind: string, apiVersion: string, name: string): [string, string, string | Buffer][] {
  const object = (extra: string) => `{"apiVersion":"${apiVersion}","kind":"${kind}","metadata":{"name":"${name}"${extra}}`;
  return [
    ['truncated JSON', JSON_TYPE, '{"metadata":{"name":'],
    ['a lone brace', JSON_TYPE, '{'],
    ['not JSON', JSON_TYPE, 'this is not json'],
    ['invalid UTF-8', JSON_TYPE, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
    ['NUL bytes', JSON_TYPE, Buffer.from('{"metadata":{"name":"a\u0000b"}}')],
    ['a JSON list', JSON_TYPE, '[1,2,3]'],
    ['a JSON string', JSON_TYPE, '"object"'],
    ['null', JSON_TYPE, 'null'],
    ['nested 200 levels', JSON_TYPE, object(`},"spec":${nest(200)}`)],
    ['nested 20,000 levels', JSON_TYPE, `[${'['.repeat(20_000)}${']'.repeat(20_000)}]`],
    ['nested at the limit', JSON_TYPE, object(`},"spec":${nest(97)}`)],
    ['25,000 keys', JSON_TYPE, object(`},"spec":${manyKeys(25_000)}`)],
    ['__proto__ at the top', JSON_TYPE, object('},"__proto__":{"apiGroups":["*"],"verbs":["*"]}')],
    ['__proto__ in metadata', JSON_TYPE, `{"metadata":{"name":"${name}","__proto__":{"x":1}}}`],
    ['escaped __proto__', JSON_TYPE, object(',"labels":{"\\u005f_proto__":"x"}}')],
    ['constructor.prototype', JSON_TYPE, object('},"constructor":{"prototype":{"polluted":true}}')],
    ['metadata a string', JSON_TYPE, '{"metadata":"x"}'],
    ['name a number', JSON_TYPE, '{"metadata":{"name":12}}'],
    ['labels a list', JSON_TYPE, object(',"labels":["a"]}')],
    ['annotations of objects', JSON_TYPE, object(',"annotations":{"a":{"b":1}}}')],
    ['managedFields garbage', JSON_TYPE, object(',"managedFields":[{"fieldsType":"FieldsV1","fieldsV1":{"k:{bad":{}}},"x"]}')],
    ['finalizers of numbers', JSON_TYPE, object(',"finalizers":[1,2]}')],
    ['ownerReferences garbage', JSON_TYPE, object(',"ownerReferences":[{"uid":{}},null]}')],
    ['spec a list', JSON_TYPE, object('},"spec":[]')],
    ['a number beyond float64', JSON_TYPE, object('},"spec":{"n":1e400}')],
    ['a long name', JSON_TYPE, `{"metadata":{"name":"${'a'.repeat(5000)}"}}`],
    ['duplicate keys', JSON_TYPE, `{"metadata":{"name":"${name}","name":"x"},"metadata":{}}`],
    ['wrong apiVersion and kind', JSON_TYPE, '{"apiVersion":"v999","kind":"Nope","metadata":{"name":"x"}}'],
    ['YAML nested 20,000 levels', 'application/yaml', deepYaml(20_000)],
    ['YAML flow nested 20,000 levels', 'application/yaml', `${'['.repeat(20_000)}${']'.repeat(20_000)}`],
    ['YAML alias bomb', 'application/yaml', ['a: &a [x,x,x,x,x,x,x,x,x,x]', ...Array.from({ length: 9 }, (_, i) => `${'bcdefghij'[i]}: &${'bcdefghij'[i]} [${Array(10).fill(`*${'abcdefghi'[i]}`).join(',')}]`)].join('\n')],
    ['YAML several documents', 'application/yaml', 'a: 1\n---\nb: 2\n'],
    ['YAML tags', 'application/yaml', 'metadata: !!binary aGVsbG8=\nspec: !!js/function "function(){}"\n'],
    ['YAML complex keys', 'application/yaml', '? [a, b]\n: c\n'],
    ['YAML __proto__', 'application/yaml', `metadata:\n  name: ${name}\n  __proto__:\n    polluted: yes\n`],
    ['YAML .inf', 'application/yaml', `metadata:\n  name: ${name}\nspec:\n  n: .inf\n`],
    ['YAML tabs and junk', 'application/yaml', '\t- : : :\n  ] } [ {\n'],
    ['protobuf garbage', 'application/vnd.kubernetes.protobuf', Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x03])],
    ['protobuf without magic', 'application/vnd.kubernetes.protobuf', Buffer.from('{"metadata":{}}')],
    ['an unknown media type', 'application/x-evil', '{}'],
    ['a media type with junk parameters', 'application/json; charset=x; ;;=;', '{}'],
    ['empty', JSON_TYPE, ''],
  ];
}

/** Patches of every type, for an existing object. */
export function hostilePatches(): [string, string, string][] {
  const copyBomb = JSON.stringify(Array.from({ length: 30 }, (_, i) => ({ op: 'copy', from: '', path: `/metadata/annotations/c${i}` })));
  const selfNest = JSON.stringify([{ op: 'add', path: '/metadata/annotations', value: {} }, ...Array.from({ length: 150 }, () => ({ op: 'copy', from: '/metadata', path: '/metadata/annotations/n' }))]);
  return [
    ['JSON patch: not a list', PATCH_TYPES[0], '{"op":"add"}'],
    ['JSON patch: unknown op', PATCH_TYPES[0], '[{"op":"frob","path":"/a"}]'],
    ['JSON patch: bad pointers', PATCH_TYPES[0], '[{"op":"add","path":"a/b~2","value":1},{"op":"remove","path":"/~"}]'],
    ['JSON patch: huge index', PATCH_TYPES[0], '[{"op":"add","path":"/metadata/finalizers/99999999999999999999","value":"x"}]'],
    ['JSON patch: __proto__ path', PATCH_TYPES[0], '[{"op":"add","path":"/metadata/__proto__/polluted","value":1}]'],
    ['JSON patch: constructor path', PATCH_TYPES[0], '[{"op":"add","path":"/metadata/constructor/prototype/x","value":1}]'],
    ['JSON patch: __proto__ value', PATCH_TYPES[0], '[{"op":"add","path":"/metadata/labels","value":{"__proto__":{"a":"b"}}}]'],
    ['JSON patch: copy bomb', PATCH_TYPES[0], copyBomb],
    ['JSON patch: self nesting', PATCH_TYPES[0], selfNest],
    ['JSON patch: move into itself', PATCH_TYPES[0], '[{"op":"move","from":"/metadata","path":"/metadata/x"}]'],
    ['JSON patch: rename', PATCH_TYPES[0], '[{"op":"replace","path":"/metadata/name","value":"renamed"}]'],
    ['JSON patch: replace the root', PATCH_TYPES[0], '[{"op":"replace","path":"","value":[1]}]'],
    ['JSON patch: 10,001 operations', PATCH_TYPES[0], JSON.stringify(Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/kind', value: 'x' })))],
    ['merge patch: __proto__', PATCH_TYPES[1], '{"__proto__":{"apiGroups":["*"]}}'],
    ['merge patch: constructor', PATCH_TYPES[1], '{"constructor":{"prototype":{"x":1}},"metadata":{"constructor":null}}'],
    ['merge patch: rename', PATCH_TYPES[1], '{"metadata":{"name":"renamed"}}'],
    ['merge patch: namespace change', PATCH_TYPES[1], '{"metadata":{"namespace":"kube-system"}}'],
    ['merge patch: a list', PATCH_TYPES[1], '[]'],
    ['merge patch: deep', PATCH_TYPES[1], `{"metadata":{"annotations":${nest(150)}}}`],
    ['merge patch: uid and resourceVersion', PATCH_TYPES[1], '{"metadata":{"uid":"x","resourceVersion":"abc","creationTimestamp":"never"}}'],
    ['strategic: directives', PATCH_TYPES[2], '{"$patch":"explode","metadata":{"$retainKeys":"x","$setElementOrder/finalizers":{"a":1},"$deleteFromPrimitiveList/finalizers":"x"}}'],
    ['strategic: list garbage', PATCH_TYPES[2], '{"metadata":{"ownerReferences":[{"$patch":"delete"},1,[2]],"finalizers":[{}]}}'],
    ['strategic: __proto__', PATCH_TYPES[2], '{"metadata":{"labels":{"__proto__":"x"}}}'],
    ['strategic: rename', PATCH_TYPES[2], '{"metadata":{"name":"renamed"}}'],
    ['apply: not an object', `${PATCH_TYPES[3]}`, '[1]'],
    ['apply: wrong identity', `${PATCH_TYPES[3]}`, '{"apiVersion":"v1","kind":"Other","metadata":{"name":"other"}}'],
    ['apply: YAML bomb', `${PATCH_TYPES[3]}`, `${'- '.repeat(5000)}x`],
    ['apply: managedFields garbage', `${PATCH_TYPES[3]}`, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"managedFields":[{"manager":1}]}}'],
  ];
}

/** Targets that no client library would send; the percent-encoding and dot segments as typed. */
export function hostileTargets(base: string): [string, string][] {
  return [
    ['bad percent-encoding', `${base}/%zz`],
    ['a truncated escape', `${base}/%E0%A4%A`],
    ['an encoded NUL', `${base}/a%00b`],
    ['an encoded slash', `${base}/a%2Fb`],
    ['dot segments', `${base}/../../../api/v1/namespaces/kube-system/secrets`],
    ['encoded dot segments', `${base}/%2e%2e/%2e%2e/api/v1/nodes`],
    ['a very long name', `${base}/${'n'.repeat(8000)}`],
    ['unicode', `${base}/%F0%9F%98%80`],
    ['too many segments', `${base}/a/b/c/d/e/f/g/h`],
  ];
}

/** Query strings of garbage values for a collection or an object. */
export function hostileQueries(): [string, string][] {
  return [
    ['watch with garbage timeouts', 'watch=true&timeoutSeconds=1e99'],
    ['watch with a negative timeout', 'watch=1&timeoutSeconds=-5'],
    ['a huge limit', 'limit=99999999999999999999999'],
    ['a negative limit', 'limit=-5'],
    ['a forged continue token', `continue=${Buffer.from('{"v":"granary/1","rv":-1,"start":{"x":1}}').toString('base64url')}`],
    ['a continue token of junk', 'continue=%%%%'],
    ['a bad resourceVersion', 'resourceVersion=abc&resourceVersionMatch=Exact'],
    ['a future resourceVersion', 'resourceVersion=999999999999&resourceVersionMatch=NotOlderThan'],
    ['label selector garbage', `labelSelector=${encodeURIComponent('a in (b,,c), !!d, e notin ()')}`],
    ['a long label selector', `labelSelector=${'a%3Db,'.repeat(2000)}c%3Dd`],
    ['field selector garbage', `fieldSelector=${encodeURIComponent('metadata.name==x=y,spec.nodeName!')}`],
    ['an unknown field selector', 'fieldSelector=spec.evil%3Dx'],
    ['dryRun garbage', 'dryRun=Sometimes&dryRun=All'],
    ['fieldValidation garbage', 'fieldValidation=Lenient'],
    ['a long fieldManager', `fieldManager=${'m'.repeat(300)}`],
    ['a pretty boolean of junk', 'pretty=maybe&watch=perhaps'],
    ['repeated parameters', 'limit=1&limit=2&limit=x'],
    ['a timeout of junk', 'timeout=forever'],
    ['propagationPolicy garbage', 'propagationPolicy=Everything&gracePeriodSeconds=-99999999999'],
  ];
}

/** Headers that mislead: content types, lengths, Accept, credentials and impersonation of junk. */
export function hostileHeaders(): [string, Record<string, string>][] {
  return [
    ['Accept of junk', { accept: 'application/json;as=Table;g=meta.k8s.io;v=v999, */*;q=x, ;;;' }],
    ['Accept Table of nothing', { accept: 'application/json;as=Table;g=meta.k8s.io;v=v1' }],
    ['Accept PartialObjectMetadata', { accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1' }],
    ['Accept nothing acceptable', { accept: 'image/png' }],
    ['Accept-Encoding junk', { 'accept-encoding': 'gzip;q=9, br, *' }],
    ['a bearer token of junk', { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.' }],
    ['a JWT of deep JSON', { authorization: `Bearer ${Buffer.from(nest(3000)).toString('base64url')}.${Buffer.from(nest(3000)).toString('base64url')}.x` }],
    ['basic credentials', { authorization: 'Basic YWRtaW46YWRtaW4=' }],
    ['impersonating junk', { 'impersonate-user': 'system:admin', 'impersonate-group': 'system:masters', 'impersonate-extra-%zz': 'x' }],
    ['impersonating a group alone', { 'impersonate-group': 'system:masters' }],
    ['a Content-Type of junk', { 'content-type': ';;;' }],
  ];
}

/** Bytes at the connection level: not HTTP, lying lengths, smuggling, oversized headers. */
export function rawAttacks(path: string): [string, string | Buffer][] {
  return [
    ['not HTTP at all', Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x00, 0x00])],
    ['HTTP/0.9', `GET ${path}\r\n\r\n`],
    ['a header line without a colon', `GET ${path} HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n`],
    ['headers over 16 KiB', `GET ${path} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
    ['both Content-Length and chunked', `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /api HTTP/1.1\r\nHost: x\r\n\r\n`],
    ['a bad chunk size', `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`],
    ['a negative Content-Length', `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n{}`],
    ['a Content-Length beyond the limit', `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 999999999999\r\n\r\n{`],
    ['two Content-Lengths', `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`],
    ['a method of junk', `FROB ${path} HTTP/1.1\r\nHost: x\r\n\r\n`],
    ['an absolute-form target', `GET https://evil.example${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`],
    ['an asterisk target', 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
    ['pipelined requests', `GET /version HTTP/1.1\r\nHost: x\r\n\r\nGET ${path}/%zz HTTP/1.1\r\nHost: x\r\n\r\nGET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`],
  ];
}
