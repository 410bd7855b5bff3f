/**
 * The sidecar's brain, independent of any transport: it owns the loaded backend (native engine or a
 * remote OpenAI-compatible server), the packed repositories and the notifications that stream back.
 *
 * Concrete parts (model discovery, loading, packing) are injected as `CoreDeps`, so tests run the core
 * with real parts in-process and the sidecar entry wires the same parts for production.
 */
import type { Backend, ChatMessage, GenerationStats } from '../backend.js';
import { CancelledError, ScoutError } from '../errors.js';
import type * as P from '../protocol.js';
import { CitationScanner } from '../session/citations.js';
import { codebaseMessages, codebaseSystem } from '../session/prompts.js';
import type { SetupDeps } from './setupDeps.js';

/** A loaded backend plus what the core needs to report about it. */
export interface LoadedBackend {
  backend: Backend;
  info: P.LoadedModel;
  /** KV bytes held now (native engine); 0 for remote backends. */
  kvBytes(): number;
  cacheStats(): P.StatusResult['cache'];
  /** Counts tokens with the model's own tokenizer (native engine); absent for remote backends. */
  countTokens?(text: string): number;
  /** Evaluates a system turn into the prompt cache ahead of questions (native engine only). */
  prefill?(
    system: string,
    onProgress: (done: number, total: number) => void,
    signal: AbortSignal,
  ): Promise<unknown>;
  dispose(): Promise<void>;
}

/** A packed repository as the core keeps it between questions. */
export interface PackedRepo {
  root: string;
  /** The question-independent part, the same for every question: the shared prompt prefix. */
  base: string;
  /** The question-specific part, chosen for `query` (may be empty). */
  focused: string;
  /** Paths the pack contains: citations are checked against them. */
  paths: ReadonlySet<string>;
  /** The whole packed text (base then focused part). */
  text: string;
  result: P.RepoPackResult;
}

export interface CoreDeps {
  engineVersion: string;
  nativeAvailable(): boolean;
  listModels(settings: P.EngineSettings, signal: AbortSignal): Promise<P.ModelEntry[]>;
  /** Loads the model at `path` (already resolved) or connects to `endpoint`. */
  load(
    target: { path?: string; endpoint?: string },
    settings: P.EngineSettings,
    onProgress: (done: number, total: number, message?: string) => void,
    signal: AbortSignal,
  ): Promise<LoadedBackend>;
  pack(
    params: P.RepoPackParams,
    onProgress: (done: number, total: number, message: string) => void,
    signal: AbortSignal,
  ): Promise<PackedRepo>;
  /** Files changed under a packed repository since its last pack. */
  repoChanged(root: string, paths: string[]): void;
  /** Counts with o200k_base, for when no model is loaded. */
  countO200k(text: string): Promise<number>;
  /** First-run setup (model/setup, model/plan, model/download) and the preflight before native loads. */
  setup: SetupDeps;
}

export interface Notifier {
  progress(p: P.ProgressParams): void;
  chatDelta(p: P.ChatDeltaParams): void;
  log(p: P.LogParams): void;
}

export interface SidecarCore {
  initialize(params: P.InitializeParams): P.InitializeResult;
  status(): P.StatusResult;
  listModels(signal: AbortSignal): Promise<{ models: P.ModelEntry[] }>;
  loadModel(params: P.ModelLoadParams, signal: AbortSignal): Promise<P.LoadedModel>;
  unloadModel(): Promise<Record<string, never>>;
  packRepo(params: P.RepoPackParams, signal: AbortSignal): Promise<P.RepoPackResult>;
  chat(params: P.ChatParams, signal: AbortSignal): Promise<P.ChatResult>;
  complete(params: P.CompleteParams, signal: AbortSignal): Promise<P.CompleteResult>;
  tokenize(params: P.TokenizeParams): Promise<P.TokenizeResult>;
  setupStatus(): Promise<P.ModelSetupResult>;
  planModel(params: P.ModelPlanParams): Promise<P.ModelPlanResult>;
  downloadModel(params: P.ModelDownloadParams, signal: AbortSignal): Promise<P.ModelDownloadResult>;
  repoChanged(params: P.RepoChangedParams): void;
  shutdown(): Promise<Record<string, never>>;
}

/** Largest image a chat message may carry, decoded (the vision path checks pixel counts itself). */
const MAX_IMAGE_BYTES = 32 * 1024 * 1024;

/** Wire messages (base64 images) to backend messages (bytes), validating what JSON cannot type. */
export function fromWire(message: P.WireChatMessage): ChatMessage {
  const roles = ['system', 'user', 'assistant', 'tool'];
  if (!message || !roles.includes(message.role))
    throw new ScoutError('invalid_argument', `a message role must be one of ${roles.join(', ')}`);
  if (typeof message.content === 'string') return { role: message.role, content: message.content };
  if (!Array.isArray(message.content))
    throw new ScoutError('invalid_argument', 'message content must be a string or a list of parts');
  return {
    role: message.role,
    content: message.content.map((part) => {
      if (part?.type === 'text' && typeof part.text === 'string') return { type: 'text', text: part.text };
      if (part?.type === 'image' && typeof part.base64 === 'string' && typeof part.mimeType === 'string') {
        if (part.base64.length > (MAX_IMAGE_BYTES / 3) * 4 + 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(part.base64))
          throw new ScoutError('image', 'an image must be base64 text of at most 32 MiB');
        return {
          type: 'image',
          data: new Uint8Array(Buffer.from(part.base64, 'base64')),
          mimeType: part.mimeType,
        };
      }
      throw new ScoutError(
        'invalid_argument',
        'a content part must be {type:"text",text} or {type:"image",base64,mimeType}',
      );
    }),
  };
}

/** An optional string parameter: absent, or a non-empty string (JSON can send anything). */
function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new ScoutError('invalid_argument', `${name} must be a string`);
  return value;
}

export function createCore(deps: CoreDeps, notify: Notifier, onShutdown: () => void): SidecarCore {
  let settings: P.EngineSettings = {};
  let loaded: LoadedBackend | undefined;
  let loading: Promise<LoadedBackend> | undefined;
  let busy = 0;
  let downloading = false;
  const repos = new Map<string, PackedRepo>();
  /** The running background prefill of each repository's base; a new pack replaces it. */
  const prefills = new Map<string, AbortController>();

  // Prefills the pack's base right after packing, before the first question arrives.
  const startPrefill = (repo: PackedRepo, token: string) => {
    const backend = loaded;
    if (!backend?.prefill) return;
    prefills.get(repo.root)?.abort();
    const controller = new AbortController();
    prefills.set(repo.root, controller);
    const started = Date.now();
    backend
      .prefill(
        codebaseSystem(repo),
        (done, total) => {
          const elapsed = Date.now() - started;
          const etaMs = done > 0 && total > done ? Math.round((elapsed * (total - done)) / done) : undefined;
          notify.progress({ token, kind: 'prefill', done, total, ...(etaMs !== undefined ? { etaMs } : {}) });
        },
        controller.signal,
      )
      .then(
        () =>
          notify.log({
            level: 'info',
            message: 'prefilled repository base',
            fields: { root: repo.root, ms: Date.now() - started },
          }),
        (e: unknown) => {
          if (!controller.signal.aborted)
            notify.log({
              level: 'warn',
              message: 'background prefill failed',
              fields: { root: repo.root, error: String(e) },
            });
        },
      )
      .finally(() => {
        if (prefills.get(repo.root) === controller) prefills.delete(repo.root);
      });
  };

  const requireBackend = (): LoadedBackend => {
    if (!loaded) throw new ScoutError('invalid_argument', 'no model is loaded: load one first (model/load)');
    return loaded;
  };

  /** Progress notifications for one request's token (none without a token), with an ETA. */
  const progressReporter = (token: string | undefined, kind: P.ProgressParams['kind']) => {
    const started = Date.now();
    return (done: number, total: number, message?: string) => {
      if (!token) return;
      const elapsed = Date.now() - started;
      const etaMs = done > 0 && total > done ? Math.round((elapsed * (total - done)) / done) : undefined;
      notify.progress({
        token,
        kind,
        done,
        total,
        ...(message ? { message } : {}),
        ...(etaMs ? { etaMs } : {}),
      });
    };
  };

  const track = async <T>(work: () => Promise<T>): Promise<T> => {
    busy++;
    try {
      return await work();
    } finally {
      busy--;
    }
  };

  const core: SidecarCore = {
    initialize(params) {
      if (params.protocolVersion !== 1)
        throw new ScoutError(
          'protocol',
          `protocol version ${params.protocolVersion} is not supported (this sidecar speaks 1)`,
        );
      settings = { ...params.settings };
      return {
        protocolVersion: 1,
        engineVersion: deps.engineVersion,
        capabilities: { nativeEngine: deps.nativeAvailable(), backends: ['cpu'], vision: false },
      };
    },

    status() {
      const rss = process.memoryUsage().rss;
      return {
        state: loading ? 'loading' : !loaded ? 'idle' : busy > 0 ? 'busy' : 'ready',
        model: loaded?.info ?? null,
        memory: {
          rssBytes: rss,
          weightBytes: loaded?.info.weightBytes ?? 0,
          kvBytes: loaded?.kvBytes() ?? 0,
        },
        context: { tokensInUse: 0, capacity: loaded?.info.contextLength ?? 0 },
        cache: loaded?.cacheStats() ?? { entries: 0, hits: 0, misses: 0, reusedTokens: 0 },
      };
    },

    async listModels(signal) {
      return { models: await deps.listModels(settings, signal) };
    },

    async loadModel(params, signal) {
      if (loading) throw new ScoutError('invalid_argument', 'a model is already loading');
      const endpoint = params.endpoint ?? settings.endpoint;
      let path = params.path ?? settings.modelPath;
      if (!endpoint && !path) {
        const found = await deps.listModels(settings, signal);
        path = found[0]?.path;
        if (!path)
          throw new ScoutError(
            'not_found',
            'no Llama 4 model found: set scout.modelPath, SCOUT_MODEL, or download one with `scout model download`',
          );
      }
      // Refuse before anything is dropped or read: a load that cannot fit fails half-way, slowly.
      if (!endpoint) await deps.setup.preflight(path!, settings);
      const started = Date.now();
      await loaded?.dispose();
      loaded = undefined;
      loading = deps.load(
        endpoint ? { endpoint } : { path: path! },
        settings,
        progressReporter(params.progressToken, 'load'),
        signal,
      );
      try {
        loaded = await loading;
      } finally {
        loading = undefined;
      }
      notify.log({
        level: 'info',
        message: 'model loaded',
        fields: { ...loaded.info, ms: Date.now() - started },
      });
      return loaded.info;
    },

    async unloadModel() {
      for (const c of prefills.values()) c.abort();
      await loaded?.dispose();
      loaded = undefined;
      return {};
    },

    async packRepo(params, signal) {
      const token = params.progressToken;
      const repo = await track(() =>
        deps.pack(
          params,
          (done, total, message) => token && notify.progress({ token, kind: 'pack', done, total, message }),
          signal,
        ),
      );
      repos.set(repo.root, repo);
      startPrefill(repo, token ?? `prefill:${repo.root}`);
      return params.includeText ? { ...repo.result, text: repo.text } : repo.result;
    },

    async chat(params, signal) {
      const { backend } = requireBackend();
      const repo = params.repoRoot ? repos.get(params.repoRoot) : undefined;
      if (params.repoRoot && !repo)
        throw new ScoutError(
          'invalid_argument',
          `repository ${params.repoRoot} is not packed: call repo/pack first`,
        );
      const conversation = params.messages.map(fromWire);
      const messages: ChatMessage[] = repo ? codebaseMessages(repo, conversation) : conversation;
      const scanner = new CitationScanner(repo?.paths);
      const result = await track(() =>
        backend.chat(
          { messages, ...(params.params ? { params: params.params } : {}) },
          (text) => {
            const citations = scanner.push(text);
            notify.chatDelta({
              requestId: params.requestId,
              text,
              ...(citations.length ? { citations } : {}),
            });
          },
          signal,
        ),
      );
      if (result.finishReason === 'cancelled' && signal.aborted) throw new CancelledError();
      return {
        text: result.text,
        finishReason: result.finishReason,
        citations: scanner.all(),
        stats: result.stats,
      };
    },

    async complete(params, signal) {
      const { backend } = requireBackend();
      if (params.style !== undefined && params.style !== 'instruction' && params.style !== 'fim')
        throw new ScoutError(
          'invalid_argument',
          `style must be 'instruction' or 'fim', got ${String(params.style)}`,
        );
      const result = await track(() =>
        backend.complete(
          {
            prompt: params.prefix,
            suffix: params.suffix,
            ...(params.style ? { style: params.style } : {}),
            ...(params.params ? { params: params.params } : {}),
          },
          () => {},
          signal,
        ),
      );
      if (result.finishReason === 'cancelled' && signal.aborted) throw new CancelledError();
      return { text: result.text, stats: result.stats };
    },

    async tokenize(params) {
      if (typeof params.text !== 'string') throw new ScoutError('invalid_argument', 'text must be a string');
      if (loaded?.countTokens) return { count: loaded.countTokens(params.text), tokenizer: loaded.info.id };
      return { count: await deps.countO200k(params.text), tokenizer: 'o200k_base' };
    },

    setupStatus() {
      return deps.setup.status(settings);
    },

    planModel(params) {
      const path = optionalString(params.path, 'path');
      const context = params.context;
      if (context !== undefined && (!Number.isSafeInteger(context) || context <= 0))
        throw new ScoutError(
          'invalid_argument',
          `context must be a positive integer, got ${String(context)}`,
        );
      return deps.setup.plan({ ...(path ? { path } : {}), ...(context ? { context } : {}) }, settings);
    },

    async downloadModel(params, signal) {
      if (downloading) throw new ScoutError('invalid_argument', 'a model download is already running');
      const repo = optionalString(params.repo, 'repo');
      const revision = optionalString(params.revision, 'revision');
      const token = optionalString(params.token, 'token');
      // Checked here so a pasted token with a line break fails clearly, not as a malformed HTTP header.
      if (token !== undefined && !/^[\x21-\x7e]{1,500}$/.test(token))
        throw new ScoutError(
          'invalid_argument',
          'the Hugging Face token must be printable text without spaces',
        );
      downloading = true;
      try {
        return await deps.setup.download(
          { ...(repo ? { repo } : {}), ...(revision ? { revision } : {}), ...(token ? { token } : {}) },
          progressReporter(params.progressToken, 'download'),
          signal,
        );
      } finally {
        downloading = false;
      }
    },

    repoChanged(params) {
      if (typeof params?.root !== 'string' || !Array.isArray(params.paths)) return;
      deps.repoChanged(
        params.root,
        params.paths.filter((p): p is string => typeof p === 'string'),
      );
    },

    async shutdown() {
      await loaded?.dispose();
      loaded = undefined;
      setImmediate(onShutdown);
      return {};
    },
  };
  return core;
}

export type { GenerationStats };
