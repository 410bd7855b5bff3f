/**
 * The operations every feature needs from a model, whoever runs it.
 *
 * Scout's own native engine (through the session layer, with its prompt cache) and a remote
 * OpenAI-compatible server (vLLM, SGLang, llama.cpp's server, Ollama) both implement `Backend`, so
 * chat, codebase questions, screenshots and completions work the same with either (architecture.md).
 */

export type Role = 'system' | 'user' | 'assistant' | 'tool';

export type ContentPart =
  | { type: 'text'; text: string }
  /** Encoded image bytes (PNG, JPEG, WebP or GIF) as pasted or read from a file. */
  | { type: 'image'; data: Uint8Array; mimeType: string };

export interface ChatMessage {
  role: Role;
  content: string | ContentPart[];
}

export interface GenerationParams {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  repetitionPenalty?: number;
  seed?: number;
  /** Text stop sequences; the returned text ends before the first one found. */
  stop?: string[];
}

export type FinishReason = 'stop' | 'length' | 'cancelled';

/** What a request cost; the CLI prints it with --json and the status view shows it. */
export interface GenerationStats {
  promptTokens: number;
  /** Prompt tokens whose KV cache was reused from an earlier request (0 for remote backends that do not say). */
  reusedTokens: number;
  completionTokens: number;
  prefillMs: number;
  ttftMs: number;
  decodeTokS: number | null;
}

export interface GenerationResult {
  text: string;
  finishReason: FinishReason;
  stats: GenerationStats;
}

export interface ChatRequest {
  messages: ChatMessage[];
  params?: GenerationParams;
  /** A remote backend's model name; the native backend serves its one loaded model. */
  model?: string;
}

export interface CompletionRequest {
  /** Text before the cursor (for fill-in-the-middle) or the whole prompt. */
  prompt: string;
  /** Text after the cursor, when the caller wants fill-in-the-middle. */
  suffix?: string;
  /** With a suffix: a chat turn asking for the code at the cursor ('instruction', the default) or FIM tokens. */
  style?: 'instruction' | 'fim';
  params?: GenerationParams;
  model?: string;
}

export interface ModelInfo {
  id: string;
  /** Where it lives: a folder for the native engine, a URL for a remote server. */
  source: string;
  contextLength?: number;
}

export interface Backend {
  readonly kind: 'native' | 'remote';
  listModels(signal?: AbortSignal): Promise<ModelInfo[]>;
  /** Streams text deltas to `onDelta` as they are produced; resolves when generation ends. */
  chat(
    request: ChatRequest,
    onDelta: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<GenerationResult>;
  complete(
    request: CompletionRequest,
    onDelta: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<GenerationResult>;
}
