/**
 * The sidecar protocol: every method, notification, parameter, result and error code between the VS
 * Code extension and the engine sidecar, defined once. Both sides import this file (architecture.md);
 * it depends on nothing but vscode-jsonrpc's message types, so importing it never loads the engine.
 *
 * Transport: JSON-RPC 2.0 with vscode-jsonrpc framing (Content-Length headers) over the sidecar's
 * stdin/stdout. Cancellation is the standard `$/cancelRequest`. Streams (chat deltas, progress) are
 * notifications tagged with the id the client chose for the request (`requestId` / `progressToken`).
 */
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { FinishReason, GenerationParams, GenerationStats, Role } from './backend.js';
import type { ScoutErrorCode } from './errors.js';
import type { MachinePlan } from './model/setup.js';

export const PROTOCOL_VERSION = 1;

/** The error payload of every failed request: `ResponseError.data`. */
export interface ErrorData {
  scoutCode: ScoutErrorCode;
}

/**
 * JSON-RPC error codes: -32602 for bad parameters, -32800 (as LSP) for cancellation, and the
 * server-error range -32000..-32099 for the engine's typed failures.
 */
export const ErrorCodeNumbers: Record<ScoutErrorCode, number> = {
  invalid_argument: -32602,
  cancelled: -32800,
  internal: -32603,
  not_found: -32001,
  io: -32002,
  safetensors: -32003,
  shard_index: -32004,
  config: -32005,
  model_mismatch: -32006,
  out_of_memory: -32007,
  tokenizer: -32008,
  template: -32009,
  image: -32010,
  pack: -32011,
  network: -32012,
  protocol: -32013,
  access_denied: -32014,
};

// ── initialize ─────────────────────────────────────────────────────────────────────────────────────

/** Engine settings the extension sends; only machine/application-scoped settings may fill them. */
export interface EngineSettings {
  /** A model folder; empty: discover (SCOUT_MODEL, configured folders, Hugging Face cache). */
  modelPath?: string;
  /** Extra folders to search for models. */
  modelFolders?: string[];
  /** An OpenAI-compatible server to use instead of the built-in engine. */
  endpoint?: string;
  /** Context length to reserve KV cache for. */
  contextSize?: number;
  weights?: 'f32' | 'bf16';
  threads?: number;
}

export interface InitializeParams {
  protocolVersion: number;
  clientName: string;
  clientVersion: string;
  settings: EngineSettings;
}

export interface InitializeResult {
  protocolVersion: number;
  engineVersion: string;
  capabilities: {
    /** The native engine's addon loaded in this sidecar. */
    nativeEngine: boolean;
    backends: Array<'cpu' | 'cuda'>;
    vision: boolean;
  };
}

export namespace Initialize {
  export const method = 'initialize';
  export const type = new RequestType<InitializeParams, InitializeResult, ErrorData>(method);
}

// ── models ─────────────────────────────────────────────────────────────────────────────────────────

export interface ModelEntry {
  path: string;
  /** Where it was found: 'setting' | 'env' | 'folder' | 'hf-cache'. */
  origin: string;
  architecture: string;
  sizeBytes: number;
  dtype: string;
}

export namespace ModelList {
  export const method = 'model/list';
  export const type = new RequestType<Record<string, never>, { models: ModelEntry[] }, ErrorData>(method);
}

export interface ModelLoadParams {
  /** A folder, or empty for the settings' choice / discovery. */
  path?: string;
  endpoint?: string;
  progressToken?: string;
}

export interface LoadedModel {
  id: string;
  source: string;
  backend: 'native' | 'remote';
  contextLength: number;
  weightBytes: number;
}

export namespace ModelLoad {
  export const method = 'model/load';
  export const type = new RequestType<ModelLoadParams, LoadedModel, ErrorData>(method);
}

export namespace ModelUnload {
  export const method = 'model/unload';
  export const type = new RequestType<Record<string, never>, Record<string, never>, ErrorData>(method);
}

// ── first-run setup (the walkthrough: find or download the model, show the plan, load) ─────────────

export interface SetupModelEntry extends ModelEntry {
  /** A complete Llama 4 checkpoint Scout can load. */
  usable: boolean;
  /** Why it is not usable, when it is not. */
  problem?: string;
}

export interface ModelSetupResult {
  /** Every model found (usable or not), in discovery order. */
  models: SetupModelEntry[];
  /** The folder `model/load` would load without a path; null when none is usable. */
  chosen: string | null;
  /** The Hugging Face repository `model/download` fetches by default. */
  repo: string;
  /** The Hugging Face cache a download goes to (shared with other tools). */
  cacheDir: string;
  /** A Hub token is available without asking the user (HF_TOKEN or the Hugging Face CLI's token file). */
  hasToken: boolean;
  /** What fits on this machine, for the chosen model or Scout's published config. */
  plan: ModelPlanResult;
}

export namespace ModelSetup {
  export const method = 'model/setup';
  export const type = new RequestType<Record<string, never>, ModelSetupResult, ErrorData>(method);
}

export interface ModelPlanParams {
  /** A model folder; default: the one `model/load` would load, else Scout's published config. */
  path?: string;
  /** The context to plan for; default: the plan's own target. */
  context?: number;
}

/** Where the plan's numbers come from, the machine's memory, and the plan (model/plan.ts). */
export type ModelPlanResult = MachinePlan;

export namespace ModelPlan {
  export const method = 'model/plan';
  export const type = new RequestType<ModelPlanParams, ModelPlanResult, ErrorData>(method);
}

export interface ModelDownloadParams {
  /** Default: Llama 4 Scout Instruct. */
  repo?: string;
  revision?: string;
  /**
   * A Hugging Face token for this call only (the extension keeps it in VS Code's secret storage);
   * the sidecar never stores or logs it. Without one: HF_TOKEN or the Hugging Face CLI's token file.
   */
  token?: string;
  /** Progress notifications of kind 'download': bytes done and total. */
  progressToken?: string;
}

export interface ModelDownloadResult {
  repo: string;
  commit: string;
  /** The snapshot folder: loadable as a model path. */
  path: string;
  files: number;
  fetchedBytes: number;
}

export namespace ModelDownload {
  export const method = 'model/download';
  export const type = new RequestType<ModelDownloadParams, ModelDownloadResult, ErrorData>(method);
}

// ── repository packing ─────────────────────────────────────────────────────────────────────────────

export interface RepoPackParams {
  root: string;
  query?: string;
  /** Token budget for the whole pack; default: what the loaded context leaves for the conversation. */
  budget?: number;
  openFiles?: string[];
  recentFiles?: string[];
  /** Glob patterns from VS Code's files.exclude. */
  exclude?: string[];
  /** Also return the packed text (for "pack repository to a file"). */
  includeText?: boolean;
  progressToken?: string;
}

export interface RepoPackResult {
  files: number;
  tokens: number;
  /** Tokens of the question-independent base: the prefix every question about this repository shares. */
  baseTokens: number;
  excluded: Record<string, number>;
  ms: number;
  /** The packed text, when `includeText` was set. */
  text?: string;
}

/** Files that changed since the last pack (the extension's file watcher): the next pack re-reads only them. */
export interface RepoChangedParams {
  root: string;
  paths: string[];
}

export namespace RepoChanged {
  export const method = 'repo/changed';
  export const type = new NotificationType<RepoChangedParams>(method);
}

export namespace RepoPack {
  export const method = 'repo/pack';
  export const type = new RequestType<RepoPackParams, RepoPackResult, ErrorData>(method);
}

// ── chat and completions ───────────────────────────────────────────────────────────────────────────

export interface Citation {
  path: string;
  line: number;
  endLine?: number;
}

/** Message content on the wire: JSON has no bytes, so images travel as base64 text. */
export type WireContentPart =
  { type: 'text'; text: string } | { type: 'image'; base64: string; mimeType: string };

export interface WireChatMessage {
  role: Role;
  content: string | WireContentPart[];
}

export interface ChatParams {
  /** Chosen by the client; tags this request's `chat/delta` notifications. */
  requestId: string;
  messages: WireChatMessage[];
  params?: GenerationParams;
  /** Answer about this packed repository (its pack is the shared prefix of the prompt). */
  repoRoot?: string;
}

export interface ChatResult {
  text: string;
  finishReason: FinishReason;
  citations: Citation[];
  stats: GenerationStats;
}

export namespace Chat {
  export const method = 'chat';
  export const type = new RequestType<ChatParams, ChatResult, ErrorData>(method);
}

export interface ChatDeltaParams {
  requestId: string;
  text: string;
  /** Citations completed within the text streamed so far (each reported once). */
  citations?: Citation[];
}

export namespace ChatDelta {
  export const method = 'chat/delta';
  export const type = new NotificationType<ChatDeltaParams>(method);
}

export interface CompleteParams {
  requestId: string;
  uri: string;
  languageId: string;
  /** Text before the cursor (bounded by the client). */
  prefix: string;
  /** Text after the cursor. */
  suffix: string;
  repoRoot?: string;
  params?: GenerationParams;
  /**
   * How the prompt is built: 'instruction' (a chat turn asking for the code at the cursor, the
   * default) or 'fim' (Llama 4's fill-in-the-middle tokens around the cursor).
   */
  style?: CompletionStyle;
}

export type CompletionStyle = 'instruction' | 'fim';

export interface CompleteResult {
  text: string;
  stats: GenerationStats;
}

export namespace Complete {
  export const method = 'complete';
  export const type = new RequestType<CompleteParams, CompleteResult, ErrorData>(method);
}

// ── token counting ────────────────────────────────────────────────────────────────────────────────

export interface TokenizeParams {
  text: string;
}

/** Counted with the loaded model's tokenizer, or o200k_base when none is loaded. */
export interface TokenizeResult {
  count: number;
  tokenizer: string;
}

export namespace Tokenize {
  export const method = 'tokenize';
  export const type = new RequestType<TokenizeParams, TokenizeResult, ErrorData>(method);
}

// ── status, liveness, shutdown ─────────────────────────────────────────────────────────────────────

export interface StatusResult {
  state: 'idle' | 'loading' | 'ready' | 'busy';
  model: LoadedModel | null;
  memory: { rssBytes: number; weightBytes: number; kvBytes: number };
  context: { tokensInUse: number; capacity: number };
  cache: { entries: number; hits: number; misses: number; reusedTokens: number };
}

export namespace Status {
  export const method = 'status';
  export const type = new RequestType<Record<string, never>, StatusResult, ErrorData>(method);
}

/** Answered by the message thread even while the engine computes: the supervisor's heartbeat. */
export namespace Ping {
  export const method = 'ping';
  export const type = new RequestType<Record<string, never>, { time: number }, ErrorData>(method);
}

export namespace Shutdown {
  export const method = 'shutdown';
  export const type = new RequestType<Record<string, never>, Record<string, never>, ErrorData>(method);
}

// ── notifications from the sidecar ─────────────────────────────────────────────────────────────────

export interface ProgressParams {
  token: string;
  kind: 'load' | 'pack' | 'prefill' | 'download';
  done: number;
  total: number;
  message?: string;
  etaMs?: number;
}

export namespace Progress {
  export const method = 'progress';
  export const type = new NotificationType<ProgressParams>(method);
}

export interface LogParams {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields?: Record<string, unknown>;
}

export namespace Log {
  export const method = 'log';
  export const type = new NotificationType<LogParams>(method);
}
