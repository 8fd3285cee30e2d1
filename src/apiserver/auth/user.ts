// Who a request comes from, as authentication establishes it (Kubernetes' user.Info), and the
// names Kubernetes gives to well-known groups and to service accounts.

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  /** Further facts about the credential, e.g. which token was used. */
  extra?: Record<string, string[]>;
}

/** Every authenticated user is in this group. */
export const AUTHENTICATED_GROUP = 'system:authenticated';
/** Members may do anything: authorization and escalation checks do not apply to them. */
export const PRIVILEGED_GROUP = 'system:masters';
export const SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';

const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

export function serviceAccountUsername(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_PREFIX}${namespace}:${name}`;
}

/** The namespace and name of a service account's user name, or undefined for other users. */
export function parseServiceAccountUsername(username: string): { namespace: string; name: string } | undefined {
  if (!username.startsWith(SERVICE_ACCOUNT_PREFIX)) return undefined;
  const [namespace, name, ...rest] = username.slice(SERVICE_ACCOUNT_PREFIX.length).split(':');
  if (!namespace || !name || rest.length > 0) return undefined;
  return { namespace, name };
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
