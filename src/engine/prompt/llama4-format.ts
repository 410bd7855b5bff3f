/**
 * The built-in Llama 4 chat formatter (llama4.md §5). It produces token ids directly: special
 * tokens are inserted by id and every piece of message text is encoded as plain text, so text a
 * user pastes (or a repository contains) can never pose as a header or an end-of-turn. The same
 * prompt as text comes along, and for content without special-token strings it equals what the
 * model's own Jinja template renders (a test checks this against the Llama 4 template).
 */
import { ScoutError } from '../errors.js';
import { LLAMA4_TOKENS } from '../tokenizer/llama4-special.js';
import { imageTokenLayout } from './image-layout.js';
import type {
  ChatMessage,
  ChatOptions,
  ChatPrompt,
  ContentPart,
  PromptTokenizer,
  ToolCall,
} from './types.js';

/**
 * Text that introduces tool definitions in the system turn (the template fixture says the same). It
 * names no special token: a rendered template would turn such text into special ids.
 */
export const TOOL_INSTRUCTIONS =
  'Environment: ipython\n\nYou can call these functions. To call one, reply with {"name": function name, "parameters": arguments as JSON}.';

/** JSON the way Jinja's `tojson` writes it: Python's separators (", " and ": "), keys in order. */
export function templateJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(templateJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${templateJson(v)}`);
    return `{${fields.join(', ')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Collects a prompt as ids and text. Adjacent plain text is encoded in one piece, exactly as a
 * rendered template would be, so both paths pre-tokenize the same way.
 */
class PromptBuilder {
  private readonly ids: number[] = [];
  private text = '';
  private pending = '';

  constructor(private readonly tokenizer: PromptTokenizer) {}

  special(token: string): this {
    this.flush();
    this.ids.push(this.tokenizer.specialTokenId(token));
    this.text += token;
    return this;
  }

  plain(text: string): this {
    this.pending += text;
    return this;
  }

  build(): ChatPrompt {
    this.flush();
    return { ids: this.ids, text: this.text };
  }

  private flush(): void {
    if (!this.pending) return;
    // A loop, not push(...ids): a packed repository is far more ids than a call takes arguments.
    for (const id of this.tokenizer.encode(this.pending)) this.ids.push(id);
    this.text += this.pending;
    this.pending = '';
  }
}

function badMessage(index: number, problem: string): never {
  throw new ScoutError('invalid_argument', `message ${index}: ${problem}`);
}

function contentParts(content: unknown, index: number): ContentPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (content === null || content === undefined) return [];
  if (!Array.isArray(content)) badMessage(index, 'content must be a string or a list of parts');
  return content.map((part: unknown) => {
    const p = part as Partial<ContentPart> | null;
    if (p?.type === 'text' && typeof p.text === 'string') return p as ContentPart;
    if (p?.type === 'image') return p as ContentPart;
    return badMessage(index, `unsupported content part ${JSON.stringify(part)?.slice(0, 80)}`);
  });
}

function addContent(b: PromptBuilder, content: unknown, index: number): void {
  for (const part of contentParts(content, index)) {
    if (part.type === 'text') b.plain(part.text);
    else for (const token of imageTokenLayout(part)) b.special(token);
  }
}

function addToolCalls(b: PromptBuilder, message: ChatMessage, calls: ToolCall[], index: number): void {
  b.special(LLAMA4_TOKENS.pythonStart);
  addContent(b, message.content, index);
  b.special(LLAMA4_TOKENS.pythonEnd);
  for (const call of calls) {
    const fn = call?.function;
    if (typeof fn?.name !== 'string') badMessage(index, 'each tool call needs function.name');
    const args = typeof fn.arguments === 'string' ? fn.arguments : templateJson(fn.arguments ?? {});
    b.plain(`{"name": "${fn.name}", "parameters": ${args}}`);
  }
}

function systemText(message: ChatMessage, index: number): string {
  const parts = contentParts(message.content, index);
  const first = parts[0];
  return first?.type === 'text' ? first.text.trim() : '';
}

/** Formats a conversation for Llama 4. */
export function formatLlama4Chat(
  tokenizer: PromptTokenizer,
  messages: readonly ChatMessage[],
  options: ChatOptions = {},
): ChatPrompt {
  const b = new PromptBuilder(tokenizer).special(LLAMA4_TOKENS.beginOfText);
  const tools = options.tools ?? [];
  const hasSystem = messages[0]?.role === 'system';
  const system = hasSystem ? systemText(messages[0]!, 0) : '';

  if (system || tools.length > 0) {
    b.special(LLAMA4_TOKENS.headerStart)
      .plain('system')
      .special(LLAMA4_TOKENS.headerEnd)
      .plain('\n\n' + system);
    if (tools.length > 0) {
      b.plain((system ? '\n\n' : '') + TOOL_INSTRUCTIONS);
      for (const tool of tools) b.plain('\n\n' + templateJson(tool));
    }
    b.special(LLAMA4_TOKENS.eot);
  }

  messages.forEach((message, index) => {
    if (index === 0 && hasSystem) return;
    const role = message?.role;
    if (role === 'tool' || role === 'ipython') {
      b.special(LLAMA4_TOKENS.headerStart).plain('ipython').special(LLAMA4_TOKENS.headerEnd).plain('\n\n');
      b.plain(typeof message.content === 'string' ? message.content : templateJson(message.content));
    } else if (role === 'user' || role === 'assistant' || role === 'system') {
      b.special(LLAMA4_TOKENS.headerStart).plain(role).special(LLAMA4_TOKENS.headerEnd).plain('\n\n');
      const calls = message.tool_calls;
      if (calls !== undefined && !Array.isArray(calls)) badMessage(index, 'tool_calls must be a list');
      if (calls && calls.length > 0) addToolCalls(b, message, calls, index);
      else addContent(b, message.content, index);
    } else {
      badMessage(index, `unknown role ${JSON.stringify(role)}`);
    }
    b.special(LLAMA4_TOKENS.eot);
  });

  if (options.addGenerationPrompt ?? true) {
    b.special(LLAMA4_TOKENS.headerStart).plain('assistant').special(LLAMA4_TOKENS.headerEnd).plain('\n\n');
  }
  return b.build();
}
