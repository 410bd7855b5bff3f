/**
 * The extension's log: one LogOutputChannel ("Scout"), which the user opens with "Scout: Open Logs"
 * and whose level follows VS Code's "Developer: Set Log Level". Errors are shown to the user once
 * (see notify.ts); everything else, the engine's own log lines included, goes here.
 */
import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;

export function registerLog(context: vscode.ExtensionContext): vscode.LogOutputChannel {
  channel = vscode.window.createOutputChannel('Scout', { log: true });
  context.subscriptions.push(channel);
  return channel;
}

export function log(): vscode.LogOutputChannel {
  if (!channel) throw new Error('Scout log used before activation');
  return channel;
}
