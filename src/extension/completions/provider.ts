/**
 * Inline completions (ghost text). A thin VS Code layer over the engine's `complete`:
 * debounce, then at most one request in flight (a newer keystroke aborts the older request, and the
 * abort reaches the engine as `$/cancelRequest`), an LRU cache that keeps a suggestion while the user
 * types it, and post-processing. The repository's pack is the cached prompt prefix when one exists.
 *
 * Completions never start the engine or load a model on their own (a keystroke must not start a
 * 60 GB load): until a model is loaded they stay quiet, and say why once in the log.
 */
import * as vscode from 'vscode';
import { isCancellation } from '../errors.js';
import { log } from '../log.js';
import { workspaceRoot } from '../repoContext.js';
import { completionSettings } from '../settings.js';
import type { ScoutClient } from '../sidecar/client.js';
import { CompletionCache } from './cache.js';
import { postprocess } from './postprocess.js';

/** `file`, `untitled` and remote documents; not `**`, which would also fire in the chat input box. */
export const COMPLETION_SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file' },
  { scheme: 'untitled' },
  { scheme: 'vscode-remote' },
];
/** Automatic requests are skipped with this much text right of the cursor: mid-line edits rarely want ghost text. */
const MAX_LINE_SUFFIX = 8;
const MAX_LINES = 16;

export class ScoutInlineCompletionProvider implements vscode.InlineCompletionItemProvider {
  private readonly cache = new CompletionCache();
  private inFlight: AbortController | undefined;
  private toldNoModel = false;

  constructor(private readonly client: ScoutClient) {}

  /** Suggestions made with the other prompt style must not keep showing after a switch. */
  styleChanged(): void {
    this.cache.clear();
  }

  async provideInlineCompletionItems(
    doc: vscode.TextDocument,
    pos: vscode.Position,
    ctx: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    const settings = completionSettings();
    if (!settings.enabled) return undefined;
    const line = doc.lineAt(pos.line).text;
    const linePrefix = line.slice(0, pos.character);
    const lineSuffix = line.slice(pos.character);
    if (
      ctx.triggerKind === vscode.InlineCompletionTriggerKind.Automatic &&
      lineSuffix.trim().length > MAX_LINE_SUFFIX
    )
      return undefined;

    const offset = doc.offsetAt(pos);
    const text = doc.getText();
    const prefix = text.slice(Math.max(0, offset - settings.prefixChars), offset);
    const suffix = text.slice(offset, offset + settings.suffixChars);
    const cached = this.cache.get(prefix, suffix);
    if (cached !== undefined)
      return cached ? [new vscode.InlineCompletionItem(cached, new vscode.Range(pos, pos))] : undefined;

    if (!this.client.model) {
      if (!this.toldNoModel)
        log().info('inline completions wait for a loaded model: run "Scout: Load Model"');
      this.toldNoModel = true;
      return undefined;
    }
    if (!(await debounce(settings.debounceMs, token))) return undefined;

    this.inFlight?.abort();
    const controller = new AbortController();
    this.inFlight = controller;
    const sub = token.onCancellationRequested(() => controller.abort());
    try {
      const root = workspaceRoot();
      const result = await this.client.complete(
        {
          uri: doc.uri.toString(),
          languageId: doc.languageId,
          prefix,
          suffix,
          style: settings.style,
          ...(root && this.client.packOf(root) ? { repoRoot: root } : {}),
          params: { maxTokens: settings.maxTokens, temperature: 0 },
        },
        controller.signal,
      );
      const nextLines = doc.getText(
        new vscode.Range(pos.line + 1, 0, Math.min(doc.lineCount, pos.line + 6), 0),
      );
      const completion = postprocess(result.text, { linePrefix, lineSuffix, nextLines, maxLines: MAX_LINES });
      this.cache.set(prefix, suffix, completion);
      log().debug(
        `completion: ${result.stats.promptTokens} prompt tokens (${result.stats.reusedTokens} reused), first token ${result.stats.ttftMs} ms`,
      );
      if (token.isCancellationRequested || !completion) return undefined;
      return [new vscode.InlineCompletionItem(completion, new vscode.Range(pos, pos))];
    } catch (e) {
      if (!isCancellation(e)) log().warn(`completion failed: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    } finally {
      sub.dispose();
      if (this.inFlight === controller) this.inFlight = undefined;
    }
  }
}

/** Resolves true after `ms`, or false as soon as the request is cancelled (the user typed on). */
function debounce(ms: number, token: vscode.CancellationToken): Promise<boolean> {
  if (token.isCancellationRequested) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      sub.dispose();
      resolve(!token.isCancellationRequested);
    }, ms);
    const sub = token.onCancellationRequested(() => {
      clearTimeout(timer);
      sub.dispose();
      resolve(false);
    });
  });
}

export function registerInlineCompletions(context: vscode.ExtensionContext, client: ScoutClient): void {
  const provider = new ScoutInlineCompletionProvider(client);
  context.subscriptions.push(
    vscode.languages.registerInlineCompletionItemProvider(COMPLETION_SELECTOR, provider),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('scout.completions.style')) provider.styleChanged();
    }),
  );
}
