// The audit log: one audit.k8s.io/v1 Event per request as a JSON line, at the level the policy
// gives (None, Metadata, Request, RequestResponse; first matching rule wins, Metadata without a
// policy). Secret bodies are never logged, whatever the policy says: Secrets are logged at
// Metadata at most.
import { randomUUID } from 'node:crypto';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import type { Identity, UserInfo } from './auth/user.ts';
import { requestBodies } from './http/codec.ts';
import { requestInfoOf, type RequestInfo } from './http/request-info.ts';
import { onResponseClose } from './http/guard.ts';
import type { Logger } from '../common/log.ts';
import { decodeJson } from './decode/json.ts';

export type AuditLevel = 'None' | 'Metadata' | 'Request' | 'RequestResponse';
const LEVELS: AuditLevel[] = ['None', 'Metadata', 'Request', 'RequestResponse'];

interface PolicyRule {
  level: AuditLevel;
  users?: string[];
  userGroups?: string[];
  verbs?: string[];
  resources?: { group?: string; resources?: string[] }[];
  namespaces?: string[];
  nonResourceURLs?: string[];
}

/** Response bodies larger than this are not copied into the log. */
const MAX_LOGGED_BODY = 1024 * 1024;

export class AuditPolicyError extends Error {}

export function loadAuditPolicy(path: string): PolicyRule[] {
  let doc: { kind?: string; rules?: PolicyRule[] };
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new AuditPolicyError(`cannot read audit policy ${path}: ${(err as Error).message}`);
  }
  if (doc?.kind !== 'Policy' || !Array.isArray(doc.rules)) throw new AuditPolicyError(`${path} is not an audit.k8s.io/v1 Policy with rules`);
  doc.rules.forEach((r, i) => {
    if (!LEVELS.includes(r.level)) throw new AuditPolicyError(`${path}: rules[${i}].level must be one of ${LEVELS.join(', ')}`);
  });
  return doc.rules;
}

export class AuditLog {
  private readonly out: WriteStream;
  private readonly rules: PolicyRule[];
  private readonly log: Logger;

  constructor(path: string, rules: PolicyRule[] = [{ level: 'Metadata' }], log: Logger) {
    this.out = createWriteStream(path, { flags: 'a', mode: 0o600 });
    this.rules = rules;
    this.log = log;
  }

  /**
   * Records the request once its response is complete: `user` is who authenticated (the policy
   * matches on them, as in Kubernetes), `impersonatedUser` who they acted as, when someone else.
   * Nothing about the request can make this throw.
   */
  track(req: IncomingMessage, res: ServerResponse, identity: Identity | undefined): void {
    const received = new Date();
    const info = auditedRequestInfo(req);
    const user = identity?.impersonator ?? identity?.user;
    const impersonated = identity?.impersonator ? identity.user : undefined;
    const level = this.levelFor(user, info);
    if (level === 'None') return;
    let captured: Buffer[] | undefined = level === 'RequestResponse' && info.verb !== 'watch' ? [] : undefined;
    let size = 0;
    if (captured) {
      const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
      const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
      const keep = (chunk: unknown) => {
        if (!captured || chunk === undefined || typeof chunk === 'function') return;
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
        size += buf.length;
        if (size > MAX_LOGGED_BODY) captured = undefined;
        else captured.push(buf);
      };
      res.write = ((chunk: unknown, ...rest: unknown[]) => (keep(chunk), write(chunk, ...rest))) as typeof res.write;
      res.end = ((...args: unknown[]) => (keep(args[0]), end(...args))) as typeof res.end;
    }
    onResponseClose(res, this.log, 'writing the audit event', () => {
      const event: Record<string, unknown> = {
        kind: 'Event', apiVersion: 'audit.k8s.io/v1', level, auditID: randomUUID(), stage: 'ResponseComplete',
        requestURI: req.url, verb: info.verb,
        user: user ? auditUser(user) : { username: 'system:anonymous', groups: ['system:unauthenticated'] },
        ...(impersonated ? { impersonatedUser: auditUser(impersonated) } : {}),
        sourceIPs: [req.socket.remoteAddress], userAgent: req.headers['user-agent'],
        responseStatus: { code: res.statusCode },
        requestReceivedTimestamp: received.toISOString(), stageTimestamp: new Date().toISOString(),
      };
      if (info.kind === 'resource') {
        event.objectRef = {
          resource: info.resource, namespace: info.namespace, name: info.name, apiGroup: info.group || undefined,
          apiVersion: info.version, subresource: info.subresource,
        };
      }
      if (level === 'Request' || level === 'RequestResponse') event.requestObject = parsed(requestBodies.get(req));
      if (level === 'RequestResponse' && captured) event.responseObject = parsed(Buffer.concat(captured));
      this.out.write(`${eventLine(event)}\n`);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }

  private levelFor(user: UserInfo | undefined, info: RequestInfo): AuditLevel {
    const rule = this.rules.find((r) => matches(r, user, info));
    const level = rule?.level ?? 'None';
    if (info.kind !== 'resource' || info.group !== '') return level;
    // Secret values must never reach the log, nor the tokens TokenRequest hands out.
    if (info.resource === 'secrets' && (level === 'Request' || level === 'RequestResponse')) return 'Metadata';
    if (info.resource === 'serviceaccounts' && info.subresource === 'token' && level === 'RequestResponse') return 'Request';
    return level;
  }
}

function matches(rule: PolicyRule, user: UserInfo | undefined, info: RequestInfo): boolean {
  if (rule.users && !rule.users.includes(user?.username ?? 'system:anonymous')) return false;
  if (rule.userGroups && !rule.userGroups.some((g) => user?.groups.includes(g))) return false;
  if (rule.verbs && !rule.verbs.includes(info.verb)) return false;
  if (info.kind === 'nonresource') {
    if (rule.resources || rule.namespaces) return false;
    return !rule.nonResourceURLs || rule.nonResourceURLs.some((u) => (u.endsWith('*') ? info.path.startsWith(u.slice(0, -1)) : info.path === u));
  }
  if (rule.nonResourceURLs) return false;
  if (rule.namespaces && !rule.namespaces.includes(info.namespace ?? '')) return false;
  if (rule.resources) {
    const full = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
    return rule.resources.some((r) => (r.group ?? '') === info.group && (!r.resources || r.resources.includes(full) || r.resources.includes(info.resource) || r.resources.includes('*')));
  }
  return true;
}

/** audit.k8s.io's UserInfo: name, uid, groups and extra. */
function auditUser(user: UserInfo): Record<string, unknown> {
  return { username: user.username, uid: user.uid, groups: user.groups, ...(user.extra ? { extra: user.extra } : {}) };
}

/** What the request asked for; a target that does not parse is still logged, as a path. */
function auditedRequestInfo(req: IncomingMessage): RequestInfo {
  try {
    return requestInfoOf(req);
  } catch {
    return { kind: 'nonresource', verb: (req.method ?? 'GET').toLowerCase(), path: (req.url ?? '/').split('?')[0] };
  }
}

/** The event as one JSON line; bodies that cannot be serialised are left out rather than the event. */
function eventLine(event: Record<string, unknown>): string {
  try {
    return JSON.stringify(event);
  } catch {
    const { requestObject: _request, responseObject: _response, ...rest } = event;
    return JSON.stringify({ ...rest, annotations: { 'granary.dev/audit': 'request and response bodies could not be serialised' } });
  }
}

function parsed(body: Buffer | undefined): unknown {
  if (!body || body.length === 0) return undefined;
  try {
    return decodeJson(body.toString('utf8')).value;
  } catch {
    return undefined; // not JSON (YAML, protobuf): the metadata says what was done
  }
}
