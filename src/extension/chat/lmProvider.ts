/**
 * Scout's model in VS Code's model picker: a LanguageModelChatProvider for vendor `scout`.
 *
 * Registering it and selecting it at activation is also what lets `@scout` answer in VS Code's Chat
 * view with no Copilot installed (vscode-testing.md). The model's description is static until the
 * engine runs, so listing it never starts the engine; a request does.
 */
import * as vscode from 'vscode';
import type { ChatMessage, ContentPart } from '../../engine/backend.js';
import { EngineError, isCancellation } from '../errors.js';
import { sniffImage } from '../images.js';
import { userContextSize } from '../settings.js';
import type { ScoutClient } from '../sidecar/client.js';

export const VENDOR = 'scout';
export const MODEL_ID = 'llama-4-scout';
const DEFAULT_CONTEXT = 131_072;
const MAX_OUTPUT = 8_192;
/** Token counts remembered at once; a request's messages are far fewer. */
const MAX_CACHED_COUNTS = 1_000;

export class ScoutLanguageModelProvider implements vscode.LanguageModelChatProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeLanguageModelChatInformation = this.changed.event;
  /** Token counts by text, for the chat request being built (cleared when it ends or the model changes). */
  private readonly counts = new Map<string, number>();

  constructor(private readonly client: ScoutClient) {}

  /** The model's context changes when one is loaded: tell VS Code so its budgets follow. */
  modelChanged(): void {
    this.counts.clear();
    this.changed.fire();
  }

  provideLanguageModelChatInformation(): vscode.LanguageModelChatInformation[] {
    const loaded = this.client.model;
    const context = loaded?.contextLength ?? userContextSize() ?? DEFAULT_CONTEXT;
    return [
      {
        id: MODEL_ID,
        name: 'Llama 4 Scout',
        family: 'llama4',
        version: loaded?.id ?? 'local',
        detail: loaded ? (loaded.backend === 'remote' ? 'server' : 'local') : 'local engine',
        tooltip: loaded
          ? `${loaded.id} from ${loaded.source}`
          : 'Llama 4 Scout on this machine (loaded on first use)',
        maxInputTokens: Math.max(1, context - MAX_OUTPUT),
        maxOutputTokens: MAX_OUTPUT,
        capabilities: { imageInput: true, toolCalling: false },
      },
    ];
  }

  async provideLanguageModelChatResponse(
    _model: vscode.LanguageModelChatInformation,
    messages: readonly vscode.LanguageModelChatRequestMessage[],
    options: vscode.ProvideLanguageModelChatResponseOptions,
    progress: vscode.Progress<vscode.LanguageModelResponsePart>,
    token: vscode.CancellationToken,
  ): Promise<void> {
    const controller = new AbortController();
    const sub = token.onCancellationRequested(() => controller.abort());
    try {
      const maxTokens =
        typeof options.modelOptions?.maxTokens === 'number' ? options.modelOptions.maxTokens : undefined;
      const temperature =
        typeof options.modelOptions?.temperature === 'number' ? options.modelOptions.temperature : undefined;
      await this.client.chat(
        {
          messages: messages.map(toEngineMessage),
          params: {
            ...(maxTokens ? { maxTokens } : {}),
            ...(temperature !== undefined ? { temperature } : {}),
          },
        },
        (d) => progress.report(new vscode.LanguageModelTextPart(d.text)),
        controller.signal,
      );
      this.modelChanged();
    } catch (e) {
      if (isCancellation(e)) return;
      throw e instanceof EngineError ? new Error(`Scout: ${e.message}`, { cause: e }) : e;
    } finally {
      this.counts.clear();
      sub.dispose();
    }
  }

  /**
   * Counts with the engine's tokenizer (`tokenize`): VS Code budgets a chat request by these counts,
   * and asks for the same strings (history, references) many times while building one request, so
   * the answers are kept until the request ends or the model changes (its tokenizer may differ).
   *
   * When the engine is not running the count is an estimate instead: counting must never start the
   * engine (VS Code counts while the user composes), and before a model loads there is nothing more
   * exact to ask. Llama 4's tokenizer averages 3.5–4 characters per token on code and prose; 3 errs
   * on the side of leaving room.
   */
  async provideTokenCount(
    _model: vscode.LanguageModelChatInformation,
    text: string | vscode.LanguageModelChatRequestMessage,
    token: vscode.CancellationToken,
  ): Promise<number> {
    const s =
      typeof text === 'string'
        ? text
        : text.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : '')).join('');
    if (this.client.supervisor.state !== 'running') return Math.ceil(s.length / 3);
    const known = this.counts.get(s);
    if (known !== undefined) return known;
    const controller = new AbortController();
    const sub = token.onCancellationRequested(() => controller.abort());
    try {
      const { count } = await this.client.tokenize(s, controller.signal);
      if (this.counts.size >= MAX_CACHED_COUNTS) this.counts.clear();
      this.counts.set(s, count);
      return count;
    } finally {
      sub.dispose();
    }
  }
}

function toEngineMessage(m: vscode.LanguageModelChatRequestMessage): ChatMessage {
  const role = m.role === vscode.LanguageModelChatMessageRole.Assistant ? 'assistant' : 'user';
  const parts: ContentPart[] = [];
  for (const p of m.content) {
    if (p instanceof vscode.LanguageModelTextPart) parts.push({ type: 'text', text: p.value });
    else if (p instanceof vscode.LanguageModelDataPart && p.mimeType.startsWith('image/')) {
      const mimeType = sniffImage(p.data);
      if (mimeType) parts.push({ type: 'image', data: p.data, mimeType });
    }
  }
  if (parts.every((p) => p.type === 'text'))
    return { role, content: parts.map((p) => (p as { text: string }).text).join('') };
  return { role, content: parts };
}

export function registerLanguageModelProvider(
  context: vscode.ExtensionContext,
  client: ScoutClient,
): ScoutLanguageModelProvider {
  const provider = new ScoutLanguageModelProvider(client);
  context.subscriptions.push(vscode.lm.registerLanguageModelChatProvider(VENDOR, provider));
  // Selecting our model once makes it the one VS Code's Chat view uses when no other is available.
  void vscode.lm.selectChatModels({ vendor: VENDOR, id: MODEL_ID });
  return provider;
}
