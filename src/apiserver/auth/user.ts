// Who a request comes from, as authentication establishes it (Kubernetes' user.Info), and the
// names Kubernetes gives to well-known groups and to service accounts.

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  /** Further facts about the credential, e.g. which token was used. */
  extra?: Record<string, string[]>;
}

/** Who a request acts as, and who authenticated when that is someone else (impersonation). */
export interface Identity {
  user: UserInfo;
  impersonator?: UserInfo;
}

/** Every authenticated user is in this group. */
export const AUTHENTICATED_GROUP = 'system:authenticated';
/** Members may do anything: authorization and escalation checks do not apply to them. */
export const PRIVILEGED_GROUP = 'system:masters';
const SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';

const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

export function serviceAccountUsername(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_PREFIX}${namespace}:${name}`;
}

/** The groups Kubernetes puts every service account of a namespace in. */
export function serviceAccountGroups(namespace: string): string[] {
  return [SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNTS_GROUP}:${namespace}`];
}

/** The user with system:authenticated among its groups (once). */
export function asAuthenticated(user: UserInfo): UserInfo {
  if (user.groups.includes(AUTHENTICATED_GROUP)) return user;
  return { ...user, groups: [...user.groups, AUTHENTICATED_GROUP] };
}

export function isPrivileged(user: UserInfo): boolean {
  return user.groups.includes(PRIVILEGED_GROUP);
}
