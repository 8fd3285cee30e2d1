// RBAC policy rules, with Kubernetes' semantics: whether a rule allows a request, and whether one
// set of rules covers another (the test behind escalation prevention).
//
// A rule allows a resource request when its verbs, API groups, resources and resource names all
// match: `*` matches any verb, group or resource; a resource is "pods" or "pods/status" for a
// subresource, and "*/status" matches that subresource of any resource; resourceNames, when given,
// must contain the object's name (so they never match list, watch or create of a collection). A
// rule allows a non-resource request when a verb matches and a nonResourceURL is the path, `*`, or
// ends in `*` and is a prefix of the path.
import type { PolicyRule } from '../../api/kinds/rbac.ts';
import type { Attributes } from './attributes.ts';

export const ALL = '*';

export function ruleAllows(rule: PolicyRule, a: Attributes): boolean {
  if (!verbMatches(rule, a.verb)) return false;
  if (a.kind === 'nonresource') return (rule.nonResourceURLs ?? []).some((url) => urlMatches(url, a.path));
  return apiGroupMatches(rule, a.apiGroup)
    && resourceMatches(rule, a.subresource ? `${a.resource}/${a.subresource}` : a.resource, a.subresource)
    && resourceNameMatches(rule, a.name);
}

function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.includes(ALL) || rule.verbs.includes(verb);
}

function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  const groups = rule.apiGroups ?? [];
  return groups.includes(ALL) || groups.includes(group);
}

function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  return (rule.resources ?? []).some((r) => r === ALL || r === combined || (subresource !== '' && r === `*/${subresource}`));
}

function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(name);
}

function urlMatches(ruleUrl: string, path: string): boolean {
  if (ruleUrl === ALL || ruleUrl === path) return true;
  return ruleUrl.endsWith('*') && path.startsWith(withoutStars(ruleUrl));
}

/**
 * The parts of `requested` that no rule of `held` covers, as single-verb rules (empty when all is
 * covered). Each requested rule is broken into one rule per group, resource, name and verb (and per
 * URL and verb), and each piece must be covered by one held rule on its own.
 */
export function uncoveredRules(held: readonly PolicyRule[], requested: readonly PolicyRule[]): PolicyRule[] {
  const missing: PolicyRule[] = [];
  for (const rule of requested) {
    for (const piece of breakDown(rule)) {
      if (!held.some((h) => covers(h, piece))) missing.push(piece);
    }
  }
  return missing;
}

function breakDown(rule: PolicyRule): PolicyRule[] {
  const pieces: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      const names = rule.resourceNames?.length ? rule.resourceNames.map((n) => [n]) : [undefined];
      for (const resourceNames of names) {
        for (const verb of rule.verbs) {
          pieces.push({ verbs: [verb], apiGroups: [group], resources: [resource], ...(resourceNames ? { resourceNames } : {}) });
        }
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? []) {
    for (const verb of rule.verbs) pieces.push({ verbs: [verb], nonResourceURLs: [url] });
  }
  return pieces;
}

/** Whether `owner` grants everything `piece` (a broken-down rule) does. */
function covers(owner: PolicyRule, piece: PolicyRule): boolean {
  const ownerNames = owner.resourceNames ?? [];
  const pieceNames = piece.resourceNames ?? [];
  const namesCovered = ownerNames.length === 0 || (pieceNames.length > 0 && pieceNames.every((n) => ownerNames.includes(n)));
  return coversAll(owner.verbs, piece.verbs)
    && coversAll(owner.apiGroups ?? [], piece.apiGroups ?? [])
    && (piece.resources ?? []).every((r) => resourceCovered(owner.resources ?? [], r))
    && (piece.nonResourceURLs ?? []).every((url) => (owner.nonResourceURLs ?? []).some((o) => urlCovers(o, url)))
    && namesCovered;
}

function coversAll(owner: readonly string[], wanted: readonly string[]): boolean {
  return owner.includes(ALL) || wanted.every((w) => owner.includes(w));
}

function resourceCovered(owner: readonly string[], resource: string): boolean {
  if (owner.includes(ALL) || owner.includes(resource)) return true;
  const slash = resource.indexOf('/');
  return slash >= 0 && owner.includes(`*/${resource.slice(slash + 1)}`);
}

/** A held URL covers a wanted one when equal, or when it ends in `*` and prefixes it (`*` itself too). */
function urlCovers(owner: string, wanted: string): boolean {
  if (owner === wanted) return true;
  return owner.endsWith('*') && wanted.startsWith(withoutStars(owner));
}

function withoutStars(url: string): string {
  return url.replace(/\*+$/, '');
}

/**
 * Rules in Kubernetes' compact form, one per line, pieces that differ only in their verbs merged
 * and sorted: `{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}`.
 */
export function describeRules(rules: readonly PolicyRule[]): string {
  const merged = new Map<string, PolicyRule>();
  for (const rule of rules) {
    const key = JSON.stringify([rule.apiGroups, rule.resources, rule.resourceNames, rule.nonResourceURLs]);
    const known = merged.get(key);
    if (known) known.verbs = [...new Set([...known.verbs, ...rule.verbs])];
    else merged.set(key, { ...rule, verbs: [...rule.verbs] });
  }
  return [...merged.values()].map(compactRule).sort().join('\n');
}

function compactRule(rule: PolicyRule): string {
  const parts: string[] = [];
  const field = (name: string, values: readonly string[] | undefined) => {
    if (values?.length) parts.push(`${name}:[${values.map((v) => JSON.stringify(v)).join(' ')}]`);
  };
  field('APIGroups', rule.apiGroups);
  field('Resources', rule.resources);
  field('NonResourceURLs', rule.nonResourceURLs);
  field('ResourceNames', rule.resourceNames);
  field('Verbs', rule.verbs);
  return `{${parts.join(', ')}}`;
}
