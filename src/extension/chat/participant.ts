/**
 * `@scout` in VS Code's own Chat view: `/ask` about the codebase (the default), `/explain` the
 * selection or the referenced code, `/screenshot` an image file into code. It answers through the
 * same pipeline as Scout's chat view (answer.ts), so the repository pack, the prompt cache and the
 * citations behave the same.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ChatMessage } from '../../engine/backend.js';
import { describeError, isCancellation, nextStep } from '../errors.js';
import { checkImage, type CheckedImage, screenshotPrompt } from '../images.js';
import type { ScoutClient } from '../sidecar/client.js';
import { answer, type Question } from './answer.js';
import { resolveWorkspaceFile } from './codeActions.js';

export const PARTICIPANT_ID = 'scout.chat';
const IMAGE_FILE = /\.(png|jpe?g|webp|gif)$/i;

export function registerParticipant(context: vscode.ExtensionContext, client: ScoutClient): void {
  const participant = vscode.chat.createChatParticipant(
    PARTICIPANT_ID,
    (request, chatContext, stream, token) => handle(client, request, chatContext, stream, token),
  );
  participant.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'scout.svg');
  context.subscriptions.push(participant);
}

async function handle(
  client: ScoutClient,
  request: vscode.ChatRequest,
  chatContext: vscode.ChatContext,
  stream: vscode.ChatResponseStream,
  token: vscode.CancellationToken,
): Promise<vscode.ChatResult> {
  const controller = new AbortController();
  const sub = token.onCancellationRequested(() => controller.abort());
  try {
    const question = await questionFor(request, chatContext);
    if (typeof question === 'string') {
      stream.markdown(question);
      return {};
    }
    const result = await answer(
      client,
      question,
      { onDelta: (d) => stream.markdown(d.text), onProgress: (text) => text && stream.progress(text) },
      controller.signal,
    );
    for (const c of result.citations) {
      const uri = await resolveWorkspaceFile(c.path);
      if (uri)
        stream.reference(
          new vscode.Location(uri, new vscode.Range(c.line - 1, 0, (c.endLine ?? c.line) - 1, 0)),
        );
    }
    return { metadata: { command: request.command ?? 'ask' } };
  } catch (e) {
    if (isCancellation(e)) return {};
    return { errorDetails: { message: [describeError(e), nextStep(e)].filter(Boolean).join(' ') } };
  } finally {
    sub.dispose();
  }
}

/** The question for the engine, or a string telling the user what the command needs. */
async function questionFor(
  request: vscode.ChatRequest,
  chatContext: vscode.ChatContext,
): Promise<Question | string> {
  const history = historyOf(chatContext);
  switch (request.command) {
    case 'explain': {
      const code = await referencedCode(request);
      if (!code)
        return 'Select some code in an editor (or attach a file with `#file`), then ask `/explain` again.';
      const ask = request.prompt.trim() || 'Explain what this code does, why, and anything surprising.';
      return { text: `${ask}\n\n${code}`, history, withRepository: true };
    }
    case 'screenshot': {
      const image = await referencedImage(request);
      if (!image)
        return 'Attach a screenshot file with `#file:shot.png`, or give its path: `/screenshot docs/shot.png`.';
      const extra = request.prompt.replace(image.name, '').trim();
      const language = vscode.window.activeTextEditor?.document.languageId;
      return {
        text: `${screenshotPrompt(language)}${extra ? `\n\n${extra}` : ''}`,
        images: [image],
        history,
        withRepository: false,
      };
    }
    default:
      if (!request.prompt.trim())
        return 'Ask a question about this codebase, for example: `@scout where are requests retried?`';
      return { text: request.prompt, history, withRepository: true };
  }
}

function historyOf(chatContext: vscode.ChatContext): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (const turn of chatContext.history) {
    if (turn instanceof vscode.ChatRequestTurn) messages.push({ role: 'user', content: turn.prompt });
    else if (turn instanceof vscode.ChatResponseTurn) {
      const text = turn.response
        .map((p) => (p instanceof vscode.ChatResponseMarkdownPart ? p.value.value : ''))
        .join('');
      if (text) messages.push({ role: 'assistant', content: text });
    }
  }
  return messages;
}

/** Code from the request's references (#file, #selection), else the active editor's selection. */
async function referencedCode(request: vscode.ChatRequest): Promise<string | undefined> {
  for (const ref of request.references) {
    const v = ref.value;
    if (v instanceof vscode.Location || v instanceof vscode.Uri) {
      const uri = v instanceof vscode.Location ? v.uri : v;
      const doc = await vscode.workspace.openTextDocument(uri);
      const range = v instanceof vscode.Location ? v.range : undefined;
      return fenced(doc, range);
    }
  }
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.selection.isEmpty) return undefined;
  return fenced(editor.document, editor.selection);
}

function fenced(doc: vscode.TextDocument, range?: vscode.Range): string {
  const where = `${vscode.workspace.asRelativePath(doc.uri)}${range ? `:${range.start.line + 1}-${range.end.line + 1}` : ''}`;
  return `From ${where}:\n\`\`\`${doc.languageId}\n${doc.getText(range)}\n\`\`\``;
}

async function referencedImage(request: vscode.ChatRequest): Promise<CheckedImage | undefined> {
  for (const ref of request.references) {
    const uri =
      ref.value instanceof vscode.Uri
        ? ref.value
        : ref.value instanceof vscode.Location
          ? ref.value.uri
          : undefined;
    if (uri && IMAGE_FILE.test(uri.path))
      return checkImage(await vscode.workspace.fs.readFile(uri), path.basename(uri.path));
  }
  const named = request.prompt.split(/\s+/).find((w) => IMAGE_FILE.test(w));
  const uri = named && (await resolveWorkspaceFile(named));
  return uri ? checkImage(await vscode.workspace.fs.readFile(uri), named) : undefined;
}
