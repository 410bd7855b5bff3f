/**
 * Scout's own chat view: a webview in the side bar, so chat, screenshots and code actions work in
 * every VS Code build (VS Code's Chat view cannot take image attachments from a published extension).
 *
 * The webview only displays and collects input; this controller owns the conversation, talks to
 * the engine, and checks every message the webview sends.
 */
import * as vscode from 'vscode';
import type { EngineStatus } from '../engineStatus.js';
import { describeError, EngineError, isCancellation, nextStep } from '../errors.js';
import { checkImage, type CheckedImage } from '../images.js';
import { log } from '../log.js';
import { showError } from '../notify.js';
import type { ScoutClient } from '../sidecar/client.js';
import { answer } from './answer.js';
import { openCitation, runCodeAction } from './codeActions.js';
import {
  ChatHistory,
  type Conversation,
  mergeCitations,
  newConversation,
  titleFor,
  toEngineMessages,
} from './conversation.js';
import { chatHtml } from './html.js';
import type { FromWebview, ImageAttachment, MessageView, MeterView, ToWebview } from './messages.js';

export const CHAT_VIEW_ID = 'scout.chatView';
const MAX_TEXT = 200_000;
const MAX_IMAGES = 4;

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private conversation: Conversation = newConversation();
  private readonly history: ChatHistory;
  private running: AbortController | undefined;
  private lastStats = { promptTokens: 0, reusedTokens: 0 };
  /** Requests that arrive before the view has loaded (a command that opens it, say). */
  private pending: ToWebview[] = [];
  private ready = false;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly client: ScoutClient,
    private readonly status: EngineStatus,
  ) {
    this.history = new ChatHistory(context.workspaceState);
    this.subscriptions.push(status.onDidChange(() => this.postMeter()));
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    view.webview.options = {
      enableScripts: true,
      localResourceRoots: [
        vscode.Uri.joinPath(this.context.extensionUri, 'media'),
        vscode.Uri.joinPath(this.context.extensionUri, 'dist'),
      ],
    };
    view.webview.html = chatHtml(view.webview, this.context.extensionUri, vscode.Uri.joinPath);
    const sub = view.webview.onDidReceiveMessage((m: unknown) => void this.receive(m));
    view.onDidDispose(() => {
      sub.dispose();
      this.view = undefined;
      this.ready = false;
    });
  }

  // ── what commands ask of the view ──────────────────────────────────────────────────────────────

  async reveal(): Promise<void> {
    await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
  }

  async ask(text: string, images: CheckedImage[] = [], withRepository = true): Promise<void> {
    await this.reveal();
    await this.send(text, images, withRepository);
  }

  async attachImage(image: CheckedImage): Promise<void> {
    await this.reveal();
    const attachment: ImageAttachment = {
      name: image.name,
      mimeType: image.mimeType,
      base64: Buffer.from(image.data).toString('base64'),
    };
    this.post({ type: 'attach', image: attachment });
  }

  async prefill(text: string): Promise<void> {
    await this.reveal();
    this.post({ type: 'setInput', text });
  }

  newChat(): void {
    this.stop();
    this.conversation = newConversation();
    this.postConversation();
  }

  stop(): void {
    this.running?.abort();
  }

  // ── webview messages ───────────────────────────────────────────────────────────────────────────

  private async receive(raw: unknown): Promise<void> {
    const m = raw as FromWebview;
    if (typeof m !== 'object' || m === null || typeof m.type !== 'string') return;
    try {
      switch (m.type) {
        case 'ready':
          this.ready = true;
          this.postConversation();
          this.postMeter();
          this.pending.splice(0).forEach((p) => this.post(p));
          return;
        case 'send':
          return await this.send(String(m.text ?? ''), this.checkAttachments(m.images), true);
        case 'stop':
          return this.stop();
        case 'newChat':
          return this.newChat();
        case 'openConversation': {
          const found = this.history.find(String(m.id));
          if (!found) return;
          this.stop();
          this.conversation = structuredClone(found);
          return this.postConversation();
        }
        case 'deleteConversation':
          await this.history.remove(String(m.id));
          if (this.conversation.id === m.id) this.conversation = newConversation();
          return this.postConversation();
        case 'attachFile':
          return await this.pickImageFile();
        case 'code':
          if (typeof m.code !== 'string' || !['copy', 'insert', 'diff', 'save'].includes(m.action)) return;
          return await runCodeAction(m.action, m.code, String(m.language ?? ''));
        case 'openCitation':
          if (typeof m.path !== 'string' || !Number.isFinite(m.line)) return;
          await openCitation(m.path, m.line);
          return;
        case 'openLink':
          return await openLink(String(m.href));
      }
    } catch (e) {
      void showError('chat view', e);
    }
  }

  private checkAttachments(images: unknown): CheckedImage[] {
    if (!Array.isArray(images)) return [];
    if (images.length > MAX_IMAGES)
      throw new EngineError('image', `attach at most ${MAX_IMAGES} images to one message`);
    return images.map((i: Partial<ImageAttachment>) => {
      if (typeof i?.base64 !== 'string') throw new EngineError('image', 'an attachment is not an image');
      return checkImage(
        Buffer.from(i.base64, 'base64'),
        typeof i.name === 'string' ? i.name.slice(0, 200) : 'image',
      );
    });
  }

  private async pickImageFile(): Promise<void> {
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      filters: { Images: ['png', 'jpg', 'jpeg', 'webp', 'gif'] },
      title: 'Attach a screenshot',
    });
    if (!picked?.[0]) return;
    const data = await vscode.workspace.fs.readFile(picked[0]);
    await this.attachImage(checkImage(data, picked[0].path.split('/').pop() ?? 'image'));
  }

  // ── one turn ───────────────────────────────────────────────────────────────────────────────────

  private async send(text: string, images: CheckedImage[], withRepository: boolean): Promise<void> {
    text = text.slice(0, MAX_TEXT).trim();
    if (!text && !images.length) return;
    if (this.running) this.running.abort();
    const conversation = this.conversation;
    const history = toEngineMessages(conversation.messages);
    const question = text || 'Write the code for this screenshot.';
    if (!conversation.messages.length) conversation.title = titleFor(question);
    conversation.messages.push({
      id: crypto.randomUUID(),
      role: 'user',
      text: question,
      images: images.map((i) => i.name),
      citations: [],
    });
    const reply: MessageView = {
      id: crypto.randomUUID(),
      role: 'assistant',
      text: '',
      images: [],
      citations: [],
      pending: true,
    };
    conversation.messages.push(reply);
    conversation.updated = Date.now();
    const controller = new AbortController();
    this.running = controller;
    this.postConversation();

    try {
      const result = await answer(
        this.client,
        { text: question, images, history, withRepository: withRepository && !images.length },
        {
          onDelta: (d) => {
            reply.text += d.text;
            mergeCitations(reply.citations, d.citations);
            this.post({ type: 'delta', id: reply.id, text: d.text, citations: d.citations ?? [] });
          },
          onProgress: (p) => this.post({ type: 'progress', text: p }),
        },
        controller.signal,
      );
      reply.text = result.text;
      mergeCitations(reply.citations, result.citations);
      this.lastStats = { promptTokens: result.stats.promptTokens, reusedTokens: result.stats.reusedTokens };
      log().info(
        `chat: ${result.stats.promptTokens} prompt tokens (${result.stats.reusedTokens} reused), ${result.stats.completionTokens} generated, first token ${result.stats.ttftMs} ms`,
      );
    } catch (e) {
      if (!isCancellation(e)) {
        reply.error = [describeError(e), nextStep(e)].filter(Boolean).join(' ');
        log().error(`chat failed: ${describeError(e)}`);
      }
    } finally {
      delete reply.pending;
      if (this.running === controller) this.running = undefined;
      await this.history.save(conversation);
      this.post({ type: 'done', id: reply.id, ...(reply.error ? { error: reply.error } : {}) });
      if (conversation === this.conversation) this.postConversation();
      void this.status.refresh();
    }
  }

  // ── to the webview ─────────────────────────────────────────────────────────────────────────────

  private post(message: ToWebview): void {
    if (!this.view || !this.ready) {
      // Streaming updates are re-sent whole with the conversation when the view loads.
      if (message.type === 'attach' || message.type === 'setInput') this.pending.push(message);
      return;
    }
    void this.view.webview.postMessage(message);
  }

  private postConversation(): void {
    const c = this.conversation;
    this.post({
      type: 'conversation',
      id: c.id,
      messages: c.messages,
      history: this.history.entries(),
      busy: !!this.running,
    });
  }

  private postMeter(): void {
    const { state, status } = this.status.snapshot;
    const pack = [...(vscode.workspace.workspaceFolders ?? [])]
      .map((f) => this.client.packOf(f.uri.fsPath))
      .find(Boolean);
    const meter: MeterView = {
      model: status?.model?.id ?? '',
      engine: state,
      contextTokens: status?.context.tokensInUse ?? 0,
      contextCapacity: status?.context.capacity ?? 0,
      repoTokens: pack?.tokens ?? 0,
      reusedTokens: this.lastStats.reusedTokens,
      promptTokens: this.lastStats.promptTokens,
      cacheHits: status?.cache.hits ?? 0,
      cacheMisses: status?.cache.misses ?? 0,
    };
    this.post({ type: 'meter', meter });
  }

  dispose(): void {
    this.stop();
    this.subscriptions.forEach((d) => d.dispose());
  }
}

/** Links in answers open in the browser only if they are web links; anything else is ignored. */
async function openLink(href: string): Promise<void> {
  let uri: vscode.Uri;
  try {
    uri = vscode.Uri.parse(href, true);
  } catch {
    return;
  }
  if (uri.scheme === 'http' || uri.scheme === 'https') await vscode.env.openExternal(uri);
}

export function registerChatView(
  context: vscode.ExtensionContext,
  client: ScoutClient,
  status: EngineStatus,
): ChatViewProvider {
  const provider = new ChatViewProvider(context, client, status);
  context.subscriptions.push(provider, vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, provider));
  return provider;
}
