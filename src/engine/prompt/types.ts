/**
 * Chat messages in the OpenAI / Hugging Face shape the rest of the engine already speaks, plus the
 * tile grid of each image (the image processor decides it; llama4.md §4.1).
 */

/** An image's tile grid: rows × cols tiles of 336 px, at most 16 tiles (llama4.md §4.1). */
export interface TileGrid {
  rows: number;
  cols: number;
}

export type ContentPart = { type: 'text'; text: string } | ({ type: 'image' } & TileGrid);

export interface ToolCall {
  function: { name: string; arguments: string | Record<string, unknown> };
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool' | 'ipython';
  /** Tool results may be any JSON value; they are rendered as JSON unless a string. */
  content: string | ContentPart[] | unknown;
  tool_calls?: ToolCall[];
}

/** A tool definition (JSON Schema function description), rendered into the system turn as JSON. */
export type ToolDefinition = Record<string, unknown>;

export interface ChatOptions {
  tools?: readonly ToolDefinition[];
  /** End with the assistant header so the model writes the next turn (default true). */
  addGenerationPrompt?: boolean;
}

/** A formatted prompt: the ids the model reads and the same prompt as text (special tokens spelled out). */
export interface ChatPrompt {
  ids: number[];
  text: string;
}

/** What the formatters need from a tokenizer: plain encoding plus special-token ids. */
export interface PromptTokenizer {
  encode(text: string): number[];
  encodeWithSpecialTokens(text: string): number[];
  specialTokenId(text: string): number;
  decode(ids: readonly number[]): string;
}
