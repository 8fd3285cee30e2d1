// Loading cluster credentials the way kubectl does: kubeconfig files (KUBECONFIG may list several,
// merged first-wins), contexts, certificates and keys inline or in files, bearer tokens, exec
// credential plugins, and the in-cluster ServiceAccount.
import { readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, delimiter } from 'node:path';
import { parse as parseYaml } from 'yaml';

export interface ExecConfig {
  command: string;
  args?: string[];
  env?: { name: string; value: string }[];
  apiVersion?: string;
  interactiveMode?: string;
}

/** Everything needed to reach one cluster as one user. */
export interface ClusterConnection {
  server: string;
  ca?: string;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
  cert?: string;
  key?: string;
  token?: string;
  tokenFile?: string;
  exec?: ExecConfig;
  /** The context's default namespace ("default" when unset). */
  namespace: string;
}

interface NamedCluster { name: string; cluster: Record<string, unknown> }
interface NamedUser { name: string; user: Record<string, unknown> }
interface NamedContext { name: string; context: { cluster: string; user: string; namespace?: string } }
interface Kubeconfig { clusters?: NamedCluster[]; users?: NamedUser[]; contexts?: NamedContext[]; 'current-context'?: string }

export class KubeconfigError extends Error {}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Resolves a connection from, in order: an explicit kubeconfig path, $KUBECONFIG, ~/.kube/config,
 * then the in-cluster ServiceAccount.
 */
export function loadConnection(opts: { kubeconfig?: string; context?: string } = {}): ClusterConnection {
  const paths = opts.kubeconfig ? [opts.kubeconfig]
    : process.env.KUBECONFIG ? process.env.KUBECONFIG.split(delimiter).filter(Boolean)
      : existsSync(join(homedir(), '.kube', 'config')) ? [join(homedir(), '.kube', 'config')] : [];
  if (paths.length === 0) {
    const inCluster = loadInCluster();
    if (inCluster) return inCluster;
    throw new KubeconfigError('no kubeconfig found: pass --kubeconfig FILE, set KUBECONFIG, or run inside a cluster');
  }
  return connectionFromFiles(paths, opts.context);
}

export function connectionFromFiles(paths: string[], contextName?: string): ClusterConnection {
  const merged: Required<Pick<Kubeconfig, 'clusters' | 'users' | 'contexts'>> & { current?: string } = { clusters: [], users: [], contexts: [] };
  for (const path of paths) {
    if (!existsSync(path)) {
      if (paths.length === 1) throw new KubeconfigError(`kubeconfig ${path} does not exist`);
      continue;
    }
    let doc: Kubeconfig;
    try {
      doc = (parseYaml(readFileSync(path, 'utf8')) ?? {}) as Kubeconfig;
    } catch (err) {
      throw new KubeconfigError(`kubeconfig ${path} is not valid YAML: ${(err as Error).message}`);
    }
    const base = dirname(path);
    // Relative file references are relative to the kubeconfig that names them.
    const rebase = (obj: Record<string, unknown>, keys: string[]) => {
      for (const k of keys) if (typeof obj[k] === 'string' && !isAbsolute(obj[k] as string)) obj[k] = join(base, obj[k] as string);
    };
    for (const c of doc.clusters ?? []) {
      if (!merged.clusters.some((m) => m.name === c.name)) {
        rebase(c.cluster ?? {}, ['certificate-authority']);
        merged.clusters.push(c);
      }
    }
    for (const u of doc.users ?? []) {
      if (!merged.users.some((m) => m.name === u.name)) {
        rebase(u.user ?? {}, ['client-certificate', 'client-key', 'tokenFile']);
        merged.users.push(u);
      }
    }
    for (const c of doc.contexts ?? []) if (!merged.contexts.some((m) => m.name === c.name)) merged.contexts.push(c);
    merged.current ??= doc['current-context'] || undefined;
  }
  const name = contextName ?? merged.current;
  if (!name) throw new KubeconfigError(`kubeconfig ${paths.join(delimiter)} has no current-context; pass a context name`);
  const context = merged.contexts.find((c) => c.name === name)?.context;
  if (!context) throw new KubeconfigError(`context ${JSON.stringify(name)} is not in kubeconfig ${paths.join(delimiter)}`);
  const cluster = merged.clusters.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster) throw new KubeconfigError(`cluster ${JSON.stringify(context.cluster)} of context ${JSON.stringify(name)} is not in the kubeconfig`);
  const user = merged.users.find((u) => u.name === context.user)?.user ?? {};
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const fromDataOrFile = (data: unknown, file: unknown, what: string) => {
    if (str(data)) return Buffer.from(data as string, 'base64').toString('utf8');
    if (str(file)) {
      try {
        return readFileSync(file as string, 'utf8');
      } catch (err) {
        throw new KubeconfigError(`cannot read ${what} ${file}: ${(err as Error).message}`);
      }
    }
    return undefined;
  };
  const server = str(cluster.server);
  if (!server) throw new KubeconfigError(`cluster ${JSON.stringify(context.cluster)} has no server address`);
  return {
    server: server.replace(/\/$/, ''),
    ca: fromDataOrFile(cluster['certificate-authority-data'], cluster['certificate-authority'], 'certificate authority'),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    tlsServerName: str(cluster['tls-server-name']),
    cert: fromDataOrFile(user['client-certificate-data'], user['client-certificate'], 'client certificate'),
    key: fromDataOrFile(user['client-key-data'], user['client-key'], 'client key'),
    token: str(user.token),
    tokenFile: str(user.tokenFile),
    exec: user.exec as ExecConfig | undefined,
    namespace: context.namespace || 'default',
  };
}

function loadInCluster(): ClusterConnection | undefined {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT;
  if (!host || !port || !existsSync(join(SA_DIR, 'token'))) return undefined;
  const namespaceFile = join(SA_DIR, 'namespace');
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: existsSync(join(SA_DIR, 'ca.crt')) ? readFileSync(join(SA_DIR, 'ca.crt'), 'utf8') : undefined,
    // Re-read on use: the kubelet rotates projected tokens.
    tokenFile: join(SA_DIR, 'token'),
    namespace: existsSync(namespaceFile) ? readFileSync(namespaceFile, 'utf8').trim() : 'default',
  };
}
