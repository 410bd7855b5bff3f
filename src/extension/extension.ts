/**
 * Scout's VS Code extension. activate() is the table of contents: each feature registers itself and
 * owns its disposables. Nothing here starts the engine: the first request does (activation ≤ 50 ms).
 */
import type * as vscode from 'vscode';
import { registerChatView } from './chat/chatView.js';
import { registerCodeActions } from './chat/codeActions.js';
import { registerLanguageModelProvider } from './chat/lmProvider.js';
import { registerParticipant } from './chat/participant.js';
import { registerCommands } from './commands.js';
import { registerInlineCompletions } from './completions/provider.js';
import { registerEngine, stopEngine } from './engine.js';
import { EngineStatus } from './engineStatus.js';
import { registerLog } from './log.js';
import { registerPasteProvider } from './paste.js';
import { registerRepoContext } from './repoContext.js';
import { registerSetup } from './setup.js';
import { registerStatusBar } from './statusBar.js';

/** What the extension exposes to other extensions (and to its integration tests). */
export interface ScoutApi {
  /** How long activate() took, in milliseconds (the target is ≤ 50). */
  readonly activationMs: number;
  /** The sidecar's state: 'stopped' until the first request needs the engine. */
  engineState(): string;
  /** The sidecar's process id while it runs. */
  enginePid(): number | undefined;
}

export function activate(context: vscode.ExtensionContext): ScoutApi {
  const started = performance.now();
  const log = registerLog(context);
  const client = registerEngine(context);
  const status = new EngineStatus(client);
  context.subscriptions.push(status);
  registerRepoContext(context, client);
  registerStatusBar(context, status);
  const chat = registerChatView(context, client, status);
  registerCodeActions(context);
  registerCommands(context, { client, chat, status });
  registerSetup(context, client);
  registerInlineCompletions(context, client);
  const models = registerLanguageModelProvider(context, client);
  status.onDidChange(() => models.modelChanged());
  registerParticipant(context, client);
  registerPasteProvider(context, client);
  const activationMs = performance.now() - started;
  log.info(`Scout activated in ${activationMs.toFixed(1)} ms`);
  return { activationMs, engineState: () => client.supervisor.state, enginePid: () => client.supervisor.pid };
}

/** VS Code awaits this on Reload Window and on closing the window: the sidecar is gone before the host. */
export function deactivate(): Promise<void> {
  return stopEngine();
}
