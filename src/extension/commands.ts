/**
 * The command palette: every command Scout contributes, each a short function over the client, the
 * chat view and VS Code's UI. Long operations show a cancellable progress notification whose
 * cancellation reaches the engine.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ProgressParams } from '../engine/protocol.js';
import { progressText } from './chat/answer.js';
import type { ChatViewProvider } from './chat/chatView.js';
import type { EngineStatus } from './engineStatus.js';
import { checkEndpoint } from './endpoint.js';
import { EngineError } from './errors.js';
import { formatTokens } from './format.js';
import { checkImage, screenshotPrompt } from './images.js';
import { log } from './log.js';
import { showError } from './notify.js';
import { packParams, workspaceRoot } from './repoContext.js';
import { SECTION } from './settings.js';
import type { ScoutClient } from './sidecar/client.js';
import { summarizeStatus } from './statusText.js';

interface Deps {
  client: ScoutClient;
  chat: ChatViewProvider;
  status: EngineStatus;
}

export function registerCommands(context: vscode.ExtensionContext, deps: Deps): void {
  const commands: Record<string, (...args: unknown[]) => unknown> = {
    'scout.ask': () => ask(deps),
    'scout.explainSelection': () => explainSelection(deps),
    'scout.screenshotToCode': (uri) => screenshotToCode(deps, uri instanceof vscode.Uri ? uri : undefined),
    'scout.packRepository': () => packRepository(deps),
    'scout.packRepositoryToFile': (uri) =>
      packRepositoryToFile(deps, uri instanceof vscode.Uri ? uri : undefined),
    'scout.loadModel': () => loadModel(deps),
    'scout.unloadModel': () => deps.client.unloadModel().then(() => deps.status.refresh()),
    'scout.selectModelFolder': () => selectModelFolder(),
    'scout.useEndpoint': () => useEndpoint(),
    'scout.showStatus': () => showStatus(deps),
    'scout.openLogs': () => log().show(),
    'scout.restartEngine': () =>
      withProgress('Restarting the Scout engine', false, () => deps.client.supervisor.restart()),
    'scout.newChat': () => deps.chat.newChat(),
    'scout.stop': () => deps.chat.stop(),
  };
  registerEach(context, commands);
}

/** Registers commands whose failures reach the user once, through showError, instead of vanishing. */
export function registerEach(
  context: vscode.ExtensionContext,
  commands: Record<string, (...args: unknown[]) => unknown>,
): void {
  for (const [id, run] of Object.entries(commands)) {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await run(...args);
        } catch (e) {
          void showError(id.replace('scout.', ''), e);
        }
      }),
    );
  }
}

/** A notification with progress; its Cancel aborts the engine request through the signal. */
export function withProgress<T>(
  title: string,
  cancellable: boolean,
  run: (signal: AbortSignal, report: (p: ProgressParams) => void) => Promise<T>,
) {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable },
    (progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      let last = 0;
      return run(controller.signal, (p) => {
        const pct = p.total > 0 ? (100 * p.done) / p.total : 0;
        progress.report({ message: progressText(p), increment: Math.max(0, pct - last) });
        last = Math.max(last, pct);
      });
    },
  );
}

async function ask({ chat }: Deps): Promise<void> {
  const question = await vscode.window.showInputBox({
    prompt: 'Ask Scout about the codebase',
    placeHolder: 'Where is the request retried?',
    ignoreFocusOut: true,
  });
  if (question?.trim()) await chat.ask(question);
}

async function explainSelection({ chat }: Deps): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.selection.isEmpty) {
    void vscode.window.showInformationMessage('Scout: select the code to explain first.');
    return;
  }
  const doc = editor.document;
  const { start, end } = editor.selection;
  const where = `${vscode.workspace.asRelativePath(doc.uri)}:${start.line + 1}-${end.line + 1}`;
  const code = doc.getText(editor.selection);
  await chat.ask(
    `Explain this code from ${where}: what it does, why, and anything surprising.\n\n\`\`\`${doc.languageId}\n${code}\n\`\`\``,
  );
}

/** From an image file (the explorer's context menu passes one), or the clipboard through the chat view. */
async function screenshotToCode({ chat }: Deps, uri?: vscode.Uri): Promise<void> {
  if (!uri) {
    const choice = await vscode.window.showQuickPick(
      [
        {
          label: '$(clippy) Paste from the clipboard',
          detail: 'Opens the Scout view: press Ctrl+V (Cmd+V) in its message box',
          id: 'paste',
        },
        { label: '$(file-media) Choose an image file…', id: 'file' },
      ],
      { title: 'Generate code from a screenshot' },
    );
    if (!choice) return;
    if (choice.id === 'paste') {
      const language = vscode.window.activeTextEditor?.document.languageId;
      return chat.prefill(screenshotPrompt(language));
    }
    const picked = await vscode.window.showOpenDialog({
      filters: { Images: ['png', 'jpg', 'jpeg', 'webp', 'gif'] },
      title: 'Screenshot to turn into code',
    });
    uri = picked?.[0];
    if (!uri) return;
  }
  const image = checkImage(await vscode.workspace.fs.readFile(uri), path.basename(uri.path));
  await chat.ask(screenshotPrompt(vscode.window.activeTextEditor?.document.languageId), [image], false);
}

/**
 * Packs the workspace in the engine the way questions see it (so the first question finds the pack
 * and its prefix ready) and says what went in and what was left out and why.
 */
async function packRepository({ client, status }: Deps): Promise<void> {
  const root = workspaceRoot();
  if (!root) throw new EngineError('invalid_argument', 'open a folder on this machine first');
  const result = await withProgress(`Packing ${path.basename(root)}`, true, (signal, report) =>
    client.pack(packParams(root), report, signal),
  );
  const excluded = Object.entries(result.excluded)
    .map(([why, n]) => `${n} ${why}`)
    .join(', ');
  void status.refresh();
  void vscode.window.showInformationMessage(
    `Scout packed ${result.files} files, ${formatTokens(result.tokens)} tokens (${formatTokens(result.baseTokens)} shared by every question) in ${Math.round(result.ms)} ms.${excluded ? ` Left out: ${excluded}.` : ''}`,
  );
}

/**
 * Writes the packed repository (exactly the text questions see) to a file the user picks, then opens
 * it. Written through vscode.workspace.fs, so the file lands wherever the workspace lives, also over
 * Remote-SSH. `target` skips the dialog (keybindings and tests pass one).
 */
async function packRepositoryToFile({ client, status }: Deps, target?: vscode.Uri): Promise<void> {
  const root = workspaceRoot();
  if (!root) throw new EngineError('invalid_argument', 'open a folder on this machine first');
  target ??= await vscode.window.showSaveDialog({
    title: 'Save the packed repository',
    // Outside the repository by default: a pack saved inside it would be packed next time.
    defaultUri: vscode.Uri.file(path.join(path.dirname(root), `${path.basename(root)}.scout-pack.txt`)),
    filters: { Text: ['txt'] },
  });
  if (!target) return;
  const result = await withProgress(`Packing ${path.basename(root)}`, true, (signal, report) =>
    client.pack({ ...packParams(root), includeText: true }, report, signal),
  );
  if (result.text === undefined) throw new EngineError('protocol', 'the engine returned no packed text');
  await vscode.workspace.fs.writeFile(target, Buffer.from(result.text, 'utf8'));
  void status.refresh();
  await vscode.window.showTextDocument(target, { preview: false });
  void vscode.window.showInformationMessage(
    `Scout wrote ${result.files} files, ${formatTokens(result.tokens)} tokens, to ${path.basename(target.path)}.`,
  );
}

/** Loads the configured model, unless one is loaded already (a settings change restarts the engine). */
async function loadModel({ client, status }: Deps): Promise<void> {
  const model =
    client.model ??
    (await withProgress('Loading the Scout model', true, (signal, report) =>
      client.loadModel({}, report, signal),
    ));
  void status.refresh();
  void vscode.window.showInformationMessage(
    `Scout: ${model.id} is ready (${formatTokens(model.contextLength)} tokens of context).`,
  );
}

async function selectModelFolder(): Promise<void> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    title: 'Folder of a Llama 4 model (config.json, *.safetensors)',
  });
  if (!picked?.[0]) return;
  const config = vscode.workspace.getConfiguration(SECTION);
  await config.update('modelPath', picked[0].fsPath, vscode.ConfigurationTarget.Global);
  await config.update('endpoint', undefined, vscode.ConfigurationTarget.Global);
  await vscode.commands.executeCommand('scout.loadModel');
}

async function useEndpoint(): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const value = await vscode.window.showInputBox({
    title: 'OpenAI-compatible server (vLLM, SGLang, llama.cpp, Ollama)',
    prompt: 'Base URL of the server; leave empty to use the built-in engine',
    value: config.inspect<string>('endpoint')?.globalValue ?? '',
    placeHolder: 'http://localhost:8000/v1',
    validateInput: (v) => (v.trim() ? checkEndpoint(v) : undefined),
    ignoreFocusOut: true,
  });
  if (value === undefined) return;
  await config.update('endpoint', value.trim() || undefined, vscode.ConfigurationTarget.Global);
  await vscode.commands.executeCommand('scout.loadModel');
}

async function showStatus({ client, status }: Deps): Promise<void> {
  await status.refresh();
  const summary = summarizeStatus(status.snapshot);
  const caps = client.supervisor.capabilities;
  const lines = [...summary.lines];
  if (caps)
    lines.push(
      `engine ${caps.engineVersion} (pid ${client.supervisor.pid}); backends: ${caps.capabilities.backends.join(', ') || 'none'}; vision: ${caps.capabilities.vision ? 'yes' : 'no'}`,
    );
  const actions = [
    { label: '$(cloud-download) Load Model', command: 'scout.loadModel' },
    { label: '$(debug-restart) Restart Engine', command: 'scout.restartEngine' },
    { label: '$(output) Open Logs', command: 'scout.openLogs' },
  ];
  const picked = await vscode.window.showQuickPick(
    [
      ...lines.map((label) => ({ label, command: undefined })),
      { label: '', kind: vscode.QuickPickItemKind.Separator, command: undefined },
      ...actions,
    ],
    { title: 'Scout engine status' },
  );
  if (picked?.command) await vscode.commands.executeCommand(picked.command);
}
