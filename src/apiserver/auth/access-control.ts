// Access control for the API server, assembled: every request but the health checks is
// authenticated (client certificate, static token, ServiceAccount token, bootstrap token), may act
// as another user (impersonation, itself authorized), and is then authorized
// (system:masters may do anything; node agents what the Node authorizer allows; everyone, nodes
// too, what RBAC allows) before it is served. Writes by nodes pass NodeRestriction admission. Also here: the
// pieces that serve the auth APIs (TokenRequest, the self reviews) and the escalation check on RBAC
// writes, the default roles, and ClusterRole aggregation.
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { ResourceDefinition } from '../../api/resources.ts';
import type { Logger } from '../../common/log.ts';
import { errors } from '../errors.ts';
import type { ComputedResourceHandler, SubresourceHandler } from '../http/handler.ts';
import { requestInfoOf, requestUrl } from '../http/request-info.ts';
import type { Registry } from '../registry/registry.ts';
import { ClusterRoleAggregator } from './aggregation.ts';
import { forbidden, requestAttributes, type Attributes, type Decision } from './attributes.ts';
import { Authenticator, type TokenAuthenticator } from './authenticator.ts';
import { ensureBootstrapPolicy } from './bootstrap-policy.ts';
import { BOOTSTRAP_TOKEN_NAMESPACE, BootstrapTokens } from './bootstrap-tokens.ts';
import { certificateAdmission } from './certificate-admission.ts';
import { EscalationGuard, type WriteCheck } from './escalation.ts';
import { NodeAuthorizer, nodeNameOf, podNodeLookup } from './node-authorizer.ts';
import { NodeGraph } from './node-graph.ts';
import { nodeRestriction } from './node-restriction.ts';
import { PolicyIndex } from './policy-index.ts';
import { RbacAuthorizer } from './rbac-authorizer.ts';
import { selfReviewHandlers } from './reviews.ts';
import { ServiceAccountTokens, type ObjectLookup } from './service-account-tokens.ts';
import { ensureSigningKey, type SigningKey } from './signing-key.ts';
import { StaticTokens } from './token-file.ts';
import { tokenRequestHandler } from './token-request.ts';
import { isPrivileged, type Identity, type UserInfo } from './user.ts';
import { impersonatedUser } from './impersonation.ts';

/** Kubernetes' conventional issuer and API audience for in-cluster service account tokens. */
export const DEFAULT_SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface AccessControlOptions {
  dataDir: string;
  /** A Kubernetes token file (token,user,uid,"group1,group2" per line), as --token-auth-file. */
  tokenAuthFile?: string;
  /** The `iss` of ServiceAccount tokens, also the audience that makes a token valid here. */
  serviceAccountIssuer?: string;
  /** Shortest TokenRequest lifetime accepted: 600 s as Kubernetes; lower only for tests of expiry. */
  minTokenExpirationSeconds?: number;
}

/** What access control reads from disk, loaded before anything else starts so a bad file fails fast. */
export interface AccessCredentials {
  signingKey: SigningKey;
  staticTokens?: StaticTokens;
}

/** Loads (or on first start makes) the token signing key, and reads the token file if one is given. */
export async function loadAccessCredentials(opts: AccessControlOptions): Promise<AccessCredentials> {
  return {
    signingKey: await ensureSigningKey(join(opts.dataDir, 'pki')),
    staticTokens: opts.tokenAuthFile ? await StaticTokens.load(opts.tokenAuthFile) : undefined,
  };
}

export class AccessControl {
  /** serviceaccounts/token, keyed as the request handler looks subresources up. */
  readonly subresources: Map<string, SubresourceHandler>;
  /** The self reviews, keyed "<group>/<plural>". */
  readonly computedResources: Map<string, ComputedResourceHandler>;
  private readonly registry: Registry;
  private readonly log: Logger;
  private readonly authenticator: Authenticator;
  private readonly index = new PolicyIndex();
  private readonly rbac = new RbacAuthorizer(this.index);
  private readonly graph = new NodeGraph();
  private readonly nodes: NodeAuthorizer;
  private readonly escalation: EscalationGuard;
  private readonly aggregator: ClusterRoleAggregator;
  private readonly identities = new WeakMap<IncomingMessage, Identity>();
  private stopFollowing: (() => void)[] = [];

  constructor(registry: Registry, credentials: AccessCredentials, opts: Omit<AccessControlOptions, 'dataDir' | 'tokenAuthFile'>, log: Logger) {
    this.registry = registry;
    this.log = log;
    const lookup: ObjectLookup = (kind, namespace, name) => registry.lookup('v1', kind, namespace, name);
    this.nodes = new NodeAuthorizer(this.graph, podNodeLookup((namespace, name) => lookup('Pod', namespace, name)));
    const issuer = opts.serviceAccountIssuer ?? DEFAULT_SERVICE_ACCOUNT_ISSUER;
    const tokens = new ServiceAccountTokens(credentials.signingKey, lookup, { issuer, apiAudiences: [issuer] });
    const bootstrapTokens = new BootstrapTokens((name) => lookup('Secret', BOOTSTRAP_TOKEN_NAMESPACE, name));
    const tokenAuthenticators: TokenAuthenticator[] = [...(credentials.staticTokens ? [credentials.staticTokens] : []), tokens, bootstrapTokens];
    this.authenticator = new Authenticator(tokenAuthenticators);
    const authorize = (user: UserInfo, a: Attributes) => this.authorize(user, a);
    this.escalation = new EscalationGuard(authorize, this.rbac, this.index);
    this.aggregator = new ClusterRoleAggregator(registry, log.child({ controller: 'clusterrole-aggregation' }));
    this.subresources = new Map([['serviceaccounts/token', tokenRequestHandler(tokens, lookup, { minExpirationSeconds: opts.minTokenExpirationSeconds })]]);
    this.computedResources = selfReviewHandlers({
      userOf: (req) => this.userOf(req), authorize, rbac: this.rbac,
      authenticateToken: (token) => this.authenticator.authenticateToken(token), apiAudiences: [issuer],
    });
  }

  /** Follows RBAC objects, creates the default roles, and aggregates ClusterRoles; before serving. */
  async start(): Promise<void> {
    this.stopFollowing = [this.index.follow(this.registry.cache), this.graph.follow(this.registry.cache)];
    await ensureBootstrapPolicy(this.registry);
    await this.aggregator.start();
  }

  stop(): void {
    this.aggregator.stop();
    for (const stop of this.stopFollowing) stop();
  }

  /**
   * Authenticates a request, applies the impersonation it asks for, and authorizes it as the user
   * it then acts as: that identity, or an ApiError to send (401 Unauthorized for no or bad
   * credentials, 403 Forbidden with Kubernetes' message for impersonation or a request not allowed).
   */
  check(req: IncomingMessage): Identity {
    const authentication = this.authenticator.authenticate(req);
    if ('reasons' in authentication) {
      this.log.info({ method: req.method, path: req.url, remote: req.socket.remoteAddress, reasons: authentication.reasons }, 'request not authenticated');
      throw errors.unauthorized();
    }
    const requestor = authentication.user;
    this.identities.set(req, { user: requestor });
    const impersonated = impersonatedUser(req, requestor, (u, a) => this.authorize(u, a));
    const identity: Identity = impersonated ? { user: impersonated, impersonator: requestor } : { user: requestor };
    this.identities.set(req, identity);
    const attributes = attributesOf(req);
    const decision = this.authorize(identity.user, attributes);
    if (!decision.allowed) throw forbidden(identity.user, attributes, decision.reason);
    return identity;
  }

  /** Who a request is from, as far as `check` got: for the audit log, also of refused requests. */
  identityOf(req: IncomingMessage): Identity | undefined {
    return this.identities.get(req);
  }

  /** The user a checked request acts as (the impersonated user when there is one). */
  userOf(req: IncomingMessage): UserInfo {
    const user = this.identities.get(req)?.user;
    if (!user) throw errors.unauthorized();
    return user;
  }

  /**
   * system:masters first (never refused), then the Node authorizer, then RBAC (Kubernetes'
   * --authorization-mode=Node,RBAC): allowed when either allows. A node refused by both hears why
   * the Node authorizer said no.
   */
  authorize(user: UserInfo, a: Attributes): Decision {
    if (isPrivileged(user)) return { allowed: true, reason: '' };
    const node = this.nodes.authorize(user, a);
    if (node?.allowed) return node;
    const rbac = this.rbac.authorize(user, a);
    if (rbac.allowed || !node?.reason) return rbac;
    return node;
  }

  /** The checks a write to `resource` must pass (escalation on RBAC objects, NodeRestriction, CertificateSigningRequest admission), for the store to run before storing. */
  writeCheck(req: IncomingMessage, resource: Pick<ResourceDefinition, 'group' | 'plural'>): WriteCheck | undefined {
    const user = this.identities.get(req)?.user;
    if (!user) return undefined;
    const checks: WriteCheck[] = [];
    const escalation = this.escalation.checkFor(user, resource);
    if (escalation) checks.push(escalation);
    const node = nodeNameOf(user);
    const csr = resource.group === 'certificates.k8s.io' && resource.plural === 'certificatesigningrequests';
    const attributes = node !== undefined || csr ? attributesOf(req) : undefined;
    if (csr && attributes?.kind === 'resource') checks.push(certificateAdmission(user, attributes.subresource, (u, a) => this.authorize(u, a)));
    const restriction = node !== undefined && attributes?.kind === 'resource' ? nodeRestriction(node, attributes) : undefined;
    if (restriction) checks.push(restriction);
    if (checks.length <= 1) return checks[0];
    return (obj, old) => checks.forEach((check) => check(obj, old));
  }
}

/** The request's authorization attributes; a path that does not decode is a 400. */
function attributesOf(req: IncomingMessage): Attributes {
  return requestAttributes(requestInfoOf(req), req.method ?? 'GET', requestUrl(req).searchParams);
}
