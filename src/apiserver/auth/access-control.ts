// Access control for the API server, assembled: every request but the health checks is
// authenticated (authenticator.ts: client certificate, static token, ServiceAccount token,
// bootstrap token), may act as another user (impersonation, itself authorized), and is then
// authorized (authorizer.ts: system:masters, the Node authorizer, RBAC) before it is served; what
// was learnt of the request is kept once, for the audit log, the self reviews and admission.
// Writes pass admission (admission.ts: a chain of plugins — RBAC escalation, CertificateSigningRequest
// approval and signing, NodeRestriction). Also wired here: the auth APIs (TokenRequest, the self
// reviews), the default roles, and the ClusterRole aggregation controller.
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { ResourceDefinition } from '../../api/resources.ts';
import type { Logger } from '../../common/log.ts';
import { errors } from '../errors.ts';
import type { ComputedResourceHandler, SubresourceHandler } from '../http/handler.ts';
import { requestInfoOf, requestUrl } from '../http/request-info.ts';
import type { Registry } from '../registry/registry.ts';
import { admissionChain, certificateSigningRequestAdmission, escalationAdmission, nodeRestrictionAdmission, type AdmissionPlugin } from './admission.ts';
import { ClusterRoleAggregator } from './aggregation.ts';
import { forbidden, requestAttributes, type Attributes, type Decision } from './attributes.ts';
import { Authenticator, type TokenAuthenticator } from './authenticator.ts';
import { Authorizer } from './authorizer.ts';
import { ensureBootstrapPolicy } from './bootstrap-policy.ts';
import { BOOTSTRAP_TOKEN_NAMESPACE, BootstrapTokens } from './bootstrap-tokens.ts';
import { EscalationGuard, type WriteCheck } from './escalation.ts';
import { podNodeLookup } from './node-authorizer.ts';
import { selfReviewHandlers } from './reviews.ts';
import { ServiceAccountTokens, type ObjectLookup } from './service-account-tokens.ts';
import { ensureSigningKey, type SigningKey } from './signing-key.ts';
import { StaticTokens } from './token-file.ts';
import { tokenRequestHandler } from './token-request.ts';
import type { Identity, UserInfo } from './user.ts';
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

/** What access control learnt of a request, once: who it is from, and (once decoded) what it asks. */
interface RequestContext {
  identity: Identity;
  attributes?: Attributes;
}

/**
 * The API server's access control: authentication, authorization and admission of each request,
 * the auth APIs' handlers, and the ClusterRole aggregation controller, wired together.
 */
export class AccessControl {
  /** serviceaccounts/token, keyed as the request handler looks subresources up. */
  readonly subresources: Map<string, SubresourceHandler>;
  /** The self reviews, keyed "<group>/<plural>". */
  readonly computedResources: Map<string, ComputedResourceHandler>;
  private readonly registry: Registry;
  private readonly log: Logger;
  private readonly authenticator: Authenticator;
  private readonly authorizer: Authorizer;
  private readonly admission: AdmissionPlugin;
  private readonly aggregator: ClusterRoleAggregator;
  private readonly requests = new WeakMap<IncomingMessage, RequestContext>();
  private stopFollowing?: () => void;

  constructor(registry: Registry, credentials: AccessCredentials, opts: Omit<AccessControlOptions, 'dataDir' | 'tokenAuthFile'>, log: Logger) {
    this.registry = registry;
    this.log = log;
    const lookup: ObjectLookup = (kind, namespace, name) => registry.lookup('v1', kind, namespace, name);
    this.authorizer = new Authorizer(podNodeLookup((namespace, name) => lookup('Pod', namespace, name)));
    const authorize = (user: UserInfo, a: Attributes) => this.authorize(user, a);

    const issuer = opts.serviceAccountIssuer ?? DEFAULT_SERVICE_ACCOUNT_ISSUER;
    const tokens = new ServiceAccountTokens(credentials.signingKey, lookup, { issuer, apiAudiences: [issuer] });
    const bootstrapTokens = new BootstrapTokens((name) => lookup('Secret', BOOTSTRAP_TOKEN_NAMESPACE, name));
    const tokenAuthenticators: TokenAuthenticator[] = [...(credentials.staticTokens ? [credentials.staticTokens] : []), tokens, bootstrapTokens];
    this.authenticator = new Authenticator(tokenAuthenticators);

    this.admission = admissionChain([
      escalationAdmission(new EscalationGuard(authorize, this.authorizer.rbac, this.authorizer.index)),
      certificateSigningRequestAdmission(authorize),
      nodeRestrictionAdmission,
    ]);
    this.subresources = new Map([['serviceaccounts/token', tokenRequestHandler(tokens, lookup, { minExpirationSeconds: opts.minTokenExpirationSeconds })]]);
    this.computedResources = selfReviewHandlers({
      userOf: (req) => this.userOf(req), authorize, rbac: this.authorizer.rbac,
      authenticateToken: (token) => this.authenticator.authenticateToken(token), apiAudiences: [issuer],
    });
    this.aggregator = new ClusterRoleAggregator(registry, log.child({ controller: 'clusterrole-aggregation' }));
  }

  /** Follows RBAC objects, creates the default roles, and aggregates ClusterRoles; before serving. */
  async start(): Promise<void> {
    this.stopFollowing = this.authorizer.follow(this.registry.cache);
    await ensureBootstrapPolicy(this.registry);
    await this.aggregator.start();
  }

  stop(): void {
    this.aggregator.stop();
    this.stopFollowing?.();
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
    const context: RequestContext = { identity: { user: requestor } };
    this.requests.set(req, context);
    const impersonated = impersonatedUser(req, requestor, (u, a) => this.authorize(u, a));
    if (impersonated) context.identity = { user: impersonated, impersonator: requestor };
    context.attributes = attributesOf(req);
    const decision = this.authorize(context.identity.user, context.attributes);
    if (!decision.allowed) throw forbidden(context.identity.user, context.attributes, decision.reason);
    return context.identity;
  }

  /** Who a request is from, as far as `check` got: for the audit log, also of refused requests. */
  identityOf(req: IncomingMessage): Identity | undefined {
    return this.requests.get(req)?.identity;
  }

  /** The user a checked request acts as (the impersonated user when there is one). */
  userOf(req: IncomingMessage): UserInfo {
    const user = this.requests.get(req)?.identity.user;
    if (!user) throw errors.unauthorized();
    return user;
  }

  authorize(user: UserInfo, a: Attributes): Decision {
    return this.authorizer.authorize(user, a);
  }

  /** The admission checks a write to `resource` must pass, for the store to run before storing. */
  writeCheck(req: IncomingMessage, resource: Pick<ResourceDefinition, 'group' | 'plural'>): WriteCheck | undefined {
    const context = this.requests.get(req);
    if (!context?.attributes) return undefined;
    return this.admission({ user: context.identity.user, attributes: context.attributes, resource });
  }
}

/** The request's authorization attributes; a path that does not decode is a 400. */
function attributesOf(req: IncomingMessage): Attributes {
  return requestAttributes(requestInfoOf(req), req.method ?? 'GET', requestUrl(req).searchParams);
}
