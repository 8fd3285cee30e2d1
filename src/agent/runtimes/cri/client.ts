// A client of a container runtime's CRI gRPC API (containerd's, CRI-O's) on a unix socket: the
// calls a kubelet makes to run pod sandboxes and containers and to pull images, each with a
// deadline, failures turned into CriError with the runtime's own message.
import * as grpc from '@grpc/grpc-js';
import { loadSync, type MethodDefinition } from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';
type Labels = Record<string, string>;

export interface PodSandboxConfig {
  metadata: { name: string; uid: string; namespace: string; attempt?: number };
  hostname?: string;
  log_directory: string;
  labels?: Labels;
  annotations?: Labels;
  linux?: {
    cgroup_parent?: string;
    security_context?: { namespace_options?: { network?: NamespaceMode; pid?: NamespaceMode; ipc?: NamespaceMode } };
  };
}

export interface CriMount { container_path: string; host_path: string; readonly?: boolean }

export interface ContainerConfig {
  metadata: { name: string; attempt?: number };
  image: { image: string };
  command?: string[];
  args?: string[];
  working_dir?: string;
  envs?: { key: string; value: string }[];
  mounts?: CriMount[];
  labels?: Labels;
  annotations?: Labels;
  log_path: string;
  linux?: {
    resources?: { cpu_period?: number; cpu_quota?: number; cpu_shares?: number; memory_limit_in_bytes?: number; oom_score_adj?: number };
    security_context?: {
      namespace_options?: { network?: NamespaceMode; pid?: NamespaceMode; ipc?: NamespaceMode };
      run_as_user?: { value: number } | null;
      run_as_username?: string;
      run_as_group?: { value: number } | null;
    };
  };
}

export interface PodSandbox { id: string; metadata: { name: string; uid: string; namespace: string }; state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY'; created_at: number; labels: Labels }
export interface CriContainer { id: string; pod_sandbox_id: string; metadata: { name: string; attempt: number }; image_ref: string; state: ContainerState; created_at: number; labels: Labels }
export interface ContainerStatus {
  id: string;
  state: ContainerState;
  /** Nanoseconds since the epoch; 0 when not (yet) so. */
  created_at: number;
  started_at: number;
  finished_at: number;
  exit_code: number;
  image_ref: string;
  reason: string;
  message: string;
  labels: Labels;
  log_path: string;
}
export interface CriImage { id: string; repo_tags: string[]; repo_digests: string[]; size: number }
export interface AuthConfig { username?: string; password?: string; auth?: string; server_address?: string; identity_token?: string; registry_token?: string }

const definitions = loadSync(fileURLToPath(new URL('./api.proto', import.meta.url)), {
  keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true,
});
type Methods = Record<string, MethodDefinition<object, object>>;
const runtimeService = definitions['runtime.v1.RuntimeService'] as unknown as Methods;
const imageService = definitions['runtime.v1.ImageService'] as unknown as Methods;

/** A CRI call that failed: the gRPC status and the runtime's message. */
export class CriError extends Error {
  readonly code: grpc.status;
  readonly method: string;
  /** The runtime's own message. */
  readonly details: string;
  constructor(method: string, code: grpc.status, details: string) {
    super(`${method}: ${details}`);
    this.name = 'CriError';
    this.code = code;
    this.method = method;
    this.details = details;
  }

  get notFound(): boolean {
    return this.code === grpc.status.NOT_FOUND;
  }

  /** The runtime could not be reached at all (not running, wrong socket). */
  get unavailable(): boolean {
    return this.code === grpc.status.UNAVAILABLE;
  }
}

export interface CriClientOptions {
  /** Path of the runtime's CRI socket, e.g. /run/containerd/containerd.sock. */
  socket: string;
  /** Deadline of ordinary calls. */
  timeoutMs?: number;
}

export class CriClient {
  private readonly client: grpc.Client;
  private readonly timeoutMs: number;
  /** Calls not answered yet: close() cancels them. */
  private readonly pending = new Set<grpc.ClientUnaryCall>();
  readonly socket: string;

  constructor(options: CriClientOptions) {
    this.socket = options.socket;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.client = new grpc.Client(`unix://${options.socket}`, grpc.credentials.createInsecure(), {
      // Image lists and exec output can be large; the runtime caps exec output at 16 MiB per stream.
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    });
  }

  /**
   * Closes the connection and cancels the calls still waiting (they reject with CANCELLED):
   * grpc-js lets pending calls run to their deadline otherwise, and an exec whose command left
   * processes holding its output waits out its deadline (timeout + 10 s) — a stopping agent
   * stayed alive that long.
   */
  close(): void {
    for (const call of this.pending) call.cancel();
    this.client.close();
  }

  private call<Res>(service: Methods, method: string, request: object, timeoutMs = this.timeoutMs): Promise<Res> {
    const definition = service[method];
    return new Promise((resolve, reject) => {
      const call = this.client.makeUnaryRequest(definition.path, definition.requestSerialize, definition.responseDeserialize, request,
        { deadline: Date.now() + timeoutMs }, (err, response) => {
          this.pending.delete(call);
          if (err) reject(new CriError(method, err.code, err.details || err.message));
          else resolve(response as Res);
        });
      this.pending.add(call);
    });
  }

  async version(): Promise<{ runtime_name: string; runtime_version: string; runtime_api_version: string }> {
    return this.call(runtimeService, 'Version', { version: 'v1' }, 5_000);
  }

  async status(): Promise<{ type: string; status: boolean; reason: string; message: string }[]> {
    const response = await this.call<{ status?: { conditions: { type: string; status: boolean; reason: string; message: string }[] } }>(runtimeService, 'Status', {}, 5_000);
    return response.status?.conditions ?? [];
  }

  async runPodSandbox(config: PodSandboxConfig, runtimeHandler = ''): Promise<string> {
    return (await this.call<{ pod_sandbox_id: string }>(runtimeService, 'RunPodSandbox', { config, runtime_handler: runtimeHandler }, 120_000)).pod_sandbox_id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.call(runtimeService, 'StopPodSandbox', { pod_sandbox_id: id }, 120_000);
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.call(runtimeService, 'RemovePodSandbox', { pod_sandbox_id: id }, 120_000);
  }

  async listPodSandboxes(labels: Labels): Promise<PodSandbox[]> {
    return (await this.call<{ items: PodSandbox[] }>(runtimeService, 'ListPodSandbox', { filter: { label_selector: labels } })).items;
  }

  async createContainer(sandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    return (await this.call<{ container_id: string }>(runtimeService, 'CreateContainer', { pod_sandbox_id: sandboxId, config, sandbox_config: sandboxConfig }, 120_000)).container_id;
  }

  async startContainer(id: string): Promise<void> {
    await this.call(runtimeService, 'StartContainer', { container_id: id }, 120_000);
  }

  /** SIGTERM (the image's stop signal), SIGKILL after timeoutSec; returns once the container has stopped. */
  async stopContainer(id: string, timeoutSec: number): Promise<void> {
    await this.call(runtimeService, 'StopContainer', { container_id: id, timeout: timeoutSec }, (timeoutSec + 60) * 1000);
  }

  async removeContainer(id: string): Promise<void> {
    await this.call(runtimeService, 'RemoveContainer', { container_id: id }, 120_000);
  }

  async listContainers(filter: { labels?: Labels; sandboxId?: string; state?: ContainerState } = {}): Promise<CriContainer[]> {
    const request = {
      filter: {
        label_selector: filter.labels ?? {},
        pod_sandbox_id: filter.sandboxId ?? '',
        ...(filter.state ? { state: { state: filter.state } } : {}),
      },
    };
    return (await this.call<{ containers: CriContainer[] }>(runtimeService, 'ListContainers', request)).containers;
  }

  /** The container's status; `verbose` adds the runtime's extra information (containerd: "info", a JSON with the pid). */
  async containerStatus(id: string, verbose = false): Promise<ContainerStatus & { info: Record<string, string> }> {
    const response = await this.call<{ status?: ContainerStatus; info: Record<string, string> }>(runtimeService, 'ContainerStatus', { container_id: id, verbose });
    if (!response.status) throw new CriError('ContainerStatus', grpc.status.NOT_FOUND, `container ${id} has no status`);
    return { ...response.status, info: response.info };
  }

  /** Runs a command in a running container; output is capped by the runtime. */
  async execSync(id: string, cmd: string[], timeoutSec: number): Promise<{ stdout: Buffer; stderr: Buffer; exit_code: number }> {
    return this.call(runtimeService, 'ExecSync', { container_id: id, cmd, timeout: timeoutSec }, (timeoutSec + 10) * 1000);
  }

  async listImages(): Promise<CriImage[]> {
    return (await this.call<{ images: CriImage[] }>(imageService, 'ListImages', {})).images;
  }

  /** The image as the runtime has it, or undefined when it does not. */
  async imageStatus(image: string): Promise<CriImage | undefined> {
    const response = await this.call<{ image?: CriImage | null }>(imageService, 'ImageStatus', { image: { image } });
    return response.image ?? undefined;
  }

  async pullImage(image: string, auth: AuthConfig | undefined, timeoutMs: number): Promise<string> {
    return (await this.call<{ image_ref: string }>(imageService, 'PullImage', { image: { image }, ...(auth ? { auth } : {}) }, timeoutMs)).image_ref;
  }

  async removeImage(image: string): Promise<void> {
    await this.call(imageService, 'RemoveImage', { image: { image } });
  }
}
