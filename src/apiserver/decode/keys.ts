// Keys that must never come from request data. `__proto__` assigned to a plain object replaces its
// prototype (merging such a key once made every RBAC rule grant everything); no Kubernetes field,
// label or annotation key can be it, so a body holding it is refused wherever the key appears.
// `constructor` and `prototype` are valid keys (a ConfigMap may hold them) and stay data: code
// that looks keys up in request-shaped objects reads and writes own properties only
// (common/own-properties.ts).

export const FORBIDDEN_KEY = '__proto__';
