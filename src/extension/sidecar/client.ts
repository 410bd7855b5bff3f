/**
 * What the features call: one typed method per protocol operation, over the supervised sidecar.
 *
 * Streams are joined back to their request here: chat deltas and progress notifications arrive tagged
 * with an id this client chose, and are routed to the caller's callback for that request only.
 * The client also remembers which model the features want, so that after a crash restart (which
 * loses the model) the next request loads it again instead of failing.
 */
import { randomUUID } from 'node:crypto';
import type { ChatMessage, GenerationParams } from '../../engine/backend.js';
import { Emitter } from 'vscode-jsonrpc/node';
import * as P from '../../engine/protocol.js';
import { EngineError } from '../errors.js';
import type { SidecarSupervisor } from './supervisor.js';

export interface ProgressSink {
  (p: P.ProgressParams): void;
}

export class ScoutClient {
  private loaded_: P.LoadedModel | undefined;
  private readonly modelEmitter = new Emitter<P.LoadedModel | undefined>();
  /** The loaded model changed (loaded, unloaded, or lost with a restarted engine). */
  readonly onDidChangeModel = this.modelEmitter.event;
  private loading: Promise<P.LoadedModel> | undefined;
  /** Repositories the running sidecar holds a pack of: only those may be named as `repoRoot`. */
  private readonly packed = new Map<string, P.RepoPackResult>();
  /**
   * Set when a file watcher reports every change under the workspace through `repoChanged`: the
   * sidecar may then keep what it discovered between packs instead of walking the repository again.
   */
  reportsChanges = false;

  constructor(readonly supervisor: SidecarSupervisor) {
    supervisor.onDidChangeState((s) => {
      if (s === 'running') return;
      this.loaded = undefined;
      this.packed.clear();
    });
  }

  packOf(root: string): P.RepoPackResult | undefined {
    return this.packed.get(root);
  }

  get model(): P.LoadedModel | undefined {
    return this.loaded_;
  }

  private get loaded(): P.LoadedModel | undefined {
    return this.loaded_;
  }

  private set loaded(model: P.LoadedModel | undefined) {
    if (model === this.loaded_) return;
    this.loaded_ = model;
    this.modelEmitter.fire(model);
  }

  status(signal?: AbortSignal): Promise<P.StatusResult> {
    return this.supervisor.request(P.Status.type, {}, signal);
  }

  listModels(signal?: AbortSignal): Promise<P.ModelEntry[]> {
    return this.supervisor.request(P.ModelList.type, {}, signal).then((r) => r.models);
  }

  /** Loads the settings' model (or `path`/`endpoint`), reporting progress; concurrent callers share one load. */
  loadModel(
    options: { path?: string; endpoint?: string } = {},
    onProgress?: ProgressSink,
    signal?: AbortSignal,
  ): Promise<P.LoadedModel> {
    if (this.loading) return this.loading;
    // The engine drops its current model while loading: until the load ends, nothing is loaded.
    this.loaded = undefined;
    const progressToken = randomUUID();
    this.loading = this.withProgress(progressToken, onProgress, () =>
      this.supervisor.request(P.ModelLoad.type, { ...options, progressToken }, signal),
    )
      .then((m) => (this.loaded = m))
      .finally(() => (this.loading = undefined));
    return this.loading;
  }

  /** The loaded model, loading the configured one first if none is. */
  async ensureModel(onProgress?: ProgressSink, signal?: AbortSignal): Promise<P.LoadedModel> {
    if (this.loaded && this.supervisor.state === 'running') return this.loaded;
    const status = await this.status(signal);
    if (status.model) return (this.loaded = status.model);
    return this.loadModel({}, onProgress, signal);
  }

  async unloadModel(): Promise<void> {
    if (this.supervisor.state !== 'running') return;
    await this.supervisor.request(P.ModelUnload.type, {});
    this.loaded = undefined;
  }

  async pack(
    params: Omit<P.RepoPackParams, 'progressToken'>,
    onProgress?: ProgressSink,
    signal?: AbortSignal,
  ): Promise<P.RepoPackResult> {
    const progressToken = randomUUID();
    const result = await this.withProgress(progressToken, onProgress, () =>
      this.supervisor.request(P.RepoPack.type, { ...params, progressToken }, signal),
    );
    // Kept for the context meter: without the packed text, which may be megabytes.
    const { text: _text, ...summary } = result;
    this.packed.set(params.root, summary);
    // An empty batch tells the sidecar that changes under this root are reported from now on.
    if (this.reportsChanges) this.repoChanged(params.root, []);
    return result;
  }

  /** Counts tokens with the loaded model's tokenizer (o200k_base when none is loaded). */
  tokenize(text: string, signal?: AbortSignal): Promise<P.TokenizeResult> {
    return this.supervisor.request(P.Tokenize.type, { text }, signal);
  }

  /** The walkthrough's first step: models found, where a download goes, whether a token is needed, the plan. */
  setupStatus(signal?: AbortSignal): Promise<P.ModelSetupResult> {
    return this.supervisor.request(P.ModelSetup.type, {}, signal);
  }

  planModel(params: P.ModelPlanParams = {}, signal?: AbortSignal): Promise<P.ModelPlanResult> {
    return this.supervisor.request(P.ModelPlan.type, params, signal);
  }

  /** Downloads into the shared Hugging Face cache; `token` is sent for this call only. */
  downloadModel(
    params: Omit<P.ModelDownloadParams, 'progressToken'>,
    onProgress?: ProgressSink,
    signal?: AbortSignal,
  ): Promise<P.ModelDownloadResult> {
    const progressToken = randomUUID();
    return this.withProgress(progressToken, onProgress, () =>
      this.supervisor.request(P.ModelDownload.type, { ...params, progressToken }, signal),
    );
  }

  /** Tells the sidecar which files changed under a packed repository, so its next pack re-reads only them. */
  repoChanged(root: string, paths: string[]): void {
    // A sidecar that is not running holds no pack to keep current: nothing to tell it.
    this.supervisor.notify(P.RepoChanged.type, { root, paths });
  }

  /** Streams a chat answer to `onDelta`; resolves with the whole answer, rejects with EngineError. */
  async chat(
    request: { messages: ChatMessage[]; params?: GenerationParams; repoRoot?: string },
    onDelta: (delta: P.ChatDeltaParams) => void,
    signal?: AbortSignal,
    onProgress?: ProgressSink,
  ): Promise<P.ChatResult> {
    await this.ensureModel(onProgress, signal);
    const requestId = randomUUID();
    const sub = this.supervisor.onChatDelta((d) => d.requestId === requestId && onDelta(d));
    try {
      return await this.supervisor.request(
        P.Chat.type,
        { ...request, messages: request.messages.map(toWire), requestId },
        signal,
      );
    } finally {
      sub.dispose();
    }
  }

  async complete(
    params: Omit<P.CompleteParams, 'requestId'>,
    signal?: AbortSignal,
  ): Promise<P.CompleteResult> {
    await this.ensureModel(undefined, signal);
    return this.supervisor.request(P.Complete.type, { ...params, requestId: randomUUID() }, signal);
  }

  private async withProgress<T>(
    token: string,
    onProgress: ProgressSink | undefined,
    run: () => Promise<T>,
  ): Promise<T> {
    const sub = onProgress && this.supervisor.onProgress((p) => p.token === token && onProgress(p));
    try {
      return await run();
    } finally {
      sub?.dispose();
    }
  }
}

/** Images travel as base64 text on the wire (protocol.ts WireContentPart): JSON has no bytes. */
function toWire(message: ChatMessage): P.WireChatMessage {
  if (typeof message.content === 'string') return { role: message.role, content: message.content };
  return {
    role: message.role,
    content: message.content.map((part): P.WireContentPart => {
      if (part.type !== 'image') return part;
      if (!(part.data instanceof Uint8Array))
        throw new EngineError('invalid_argument', 'image data must be bytes');
      return { type: 'image', mimeType: part.mimeType, base64: Buffer.from(part.data).toString('base64') };
    }),
  };
}
