/**
 * The JSON objects Scout's server sends, in the shapes OpenAI defines and its clients (the OpenAI
 * SDKs, Open WebUI, Scout's own client) parse: full responses, stream chunks and usage.
 */
import type { FinishReason, GenerationResult, GenerationStats, ModelInfo } from '../backend.js';

export interface ResponseMeta {
  id: string;
  /** Unix seconds. */
  created: number;
  model: string;
}

/** 'cancelled' never reaches a client: it means the client left or the server is shutting down. */
export type WireFinishReason = Exclude<FinishReason, 'cancelled'>;

export function usageOf(stats: GenerationStats) {
  return {
    prompt_tokens: stats.promptTokens,
    completion_tokens: stats.completionTokens,
    total_tokens: stats.promptTokens + stats.completionTokens,
    prompt_tokens_details: { cached_tokens: stats.reusedTokens },
  };
}

export function modelList(models: ModelInfo[], created: number) {
  return {
    object: 'list',
    data: models.map((m) => ({
      id: m.id,
      object: 'model',
      created,
      owned_by: 'scout',
      // vLLM's name for the context length; clients that size prompts read it.
      ...(m.contextLength !== undefined ? { max_model_len: m.contextLength } : {}),
    })),
  };
}

export function chatResponse(meta: ResponseMeta, result: GenerationResult, finish: WireFinishReason) {
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: result.text },
        logprobs: null,
        finish_reason: finish,
      },
    ],
    usage: usageOf(result.stats),
  };
}

export function completionResponse(meta: ResponseMeta, result: GenerationResult, finish: WireFinishReason) {
  return {
    id: meta.id,
    object: 'text_completion',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, text: result.text, logprobs: null, finish_reason: finish }],
    usage: usageOf(result.stats),
  };
}

/** Builds the stream chunks of one endpoint, so the streaming loop is the same for both. */
export interface ChunkShapes {
  /** Sent once when the stream opens (chat announces the assistant role), or undefined. */
  opening(): object | undefined;
  delta(text: string): object;
  finish(reason: WireFinishReason): object;
  usage(stats: GenerationStats): object;
}

export function chatChunks(meta: ResponseMeta): ChunkShapes {
  const chunk = (delta: object, finish: WireFinishReason | null, extra: object = {}) => ({
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...extra,
  });
  return {
    opening: () => chunk({ role: 'assistant', content: '' }, null),
    delta: (text) => chunk({ content: text }, null),
    finish: (reason) => chunk({}, reason),
    usage: (stats) => ({ ...chunk({}, null), choices: [], usage: usageOf(stats) }),
  };
}

export function completionChunks(meta: ResponseMeta): ChunkShapes {
  const chunk = (text: string, finish: WireFinishReason | null) => ({
    id: meta.id,
    object: 'text_completion',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finish }],
  });
  return {
    opening: () => undefined,
    delta: (text) => chunk(text, null),
    finish: (reason) => chunk('', reason),
    usage: (stats) => ({ ...chunk('', null), choices: [], usage: usageOf(stats) }),
  };
}
