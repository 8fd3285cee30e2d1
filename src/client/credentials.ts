// Where a request's credentials come from: static client certificates and tokens, token files
// (re-read, since they rotate), and exec credential plugins (run on demand, cached until expiry).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import type { ClusterConnection, ExecConfig } from './kubeconfig.ts';

const run = promisify(execFile);
const TOKEN_FILE_TTL_MS = 60_000;

export interface Credentials {
  token?: string;
  cert?: string;
  key?: string;
  /** When these stop being valid (ms since epoch); undefined means no known expiry. */
  expiresAt?: number;
}

export class CredentialSource {
  private readonly conn: ClusterConnection;
  private cached?: Credentials;
  private cachedAt = 0;
  private pending?: Promise<Credentials>;

  constructor(conn: ClusterConnection) {
    this.conn = conn;
  }

  /** Static credentials need no refresh and decide the TLS identity up front. */
  get isStatic(): boolean {
    return !this.conn.exec && !this.conn.tokenFile;
  }

  async get(): Promise<Credentials> {
    if (this.isStatic) return { token: this.conn.token, cert: this.conn.cert, key: this.conn.key };
    const fresh = this.cached && (this.cached.expiresAt === undefined ? Date.now() - this.cachedAt < TOKEN_FILE_TTL_MS : this.cached.expiresAt - Date.now() > 10_000);
    if (fresh) return this.cached!;
    this.pending ??= this.load().finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** Forgets cached credentials, e.g. after a 401, so the next request fetches new ones. */
  invalidate(): void {
    this.cached = undefined;
  }

  private async load(): Promise<Credentials> {
    const creds = this.conn.exec ? await runExecPlugin(this.conn.exec, this.conn.server)
      : { token: readFileSync(this.conn.tokenFile!, 'utf8').trim(), cert: this.conn.cert, key: this.conn.key };
    this.cached = creds;
    this.cachedAt = Date.now();
    return creds;
  }
}

async function runExecPlugin(exec: ExecConfig, server: string): Promise<Credentials> {
  const apiVersion = exec.apiVersion ?? 'client.authentication.k8s.io/v1';
  const env = { ...process.env };
  for (const e of exec.env ?? []) env[e.name] = e.value;
  env.KUBERNETES_EXEC_INFO = JSON.stringify({ apiVersion, kind: 'ExecCredential', spec: { interactive: false, cluster: { server } } });
  let stdout: string;
  try {
    ({ stdout } = await run(exec.command, exec.args ?? [], { env, timeout: 60_000, maxBuffer: 1024 * 1024 }));
  } catch (err) {
    throw new Error(`exec credential plugin ${exec.command} failed: ${(err as Error).message}`);
  }
  let parsed: { status?: { token?: string; clientCertificateData?: string; clientKeyData?: string; expirationTimestamp?: string } };
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new Error(`exec credential plugin ${exec.command} printed something that is not an ExecCredential JSON object`);
  }
  const status = parsed.status ?? {};
  if (!status.token && !(status.clientCertificateData && status.clientKeyData)) {
    throw new Error(`exec credential plugin ${exec.command} returned neither a token nor a client certificate and key`);
  }
  return {
    token: status.token, cert: status.clientCertificateData, key: status.clientKeyData,
    expiresAt: status.expirationTimestamp ? Date.parse(status.expirationTimestamp) : undefined,
  };
}
