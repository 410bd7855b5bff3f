/** The status bar item: engine state and model at a glance; memory and cache in its tooltip. */
import * as vscode from 'vscode';
import type { EngineStatus } from './engineStatus.js';
import { summarizeStatus } from './statusText.js';

export function registerStatusBar(context: vscode.ExtensionContext, status: EngineStatus): void {
  const item = vscode.window.createStatusBarItem('scout.status', vscode.StatusBarAlignment.Right, 100);
  item.name = 'Scout';
  item.command = 'scout.showStatus';
  const render = () => {
    const summary = summarizeStatus(status.snapshot);
    item.text = summary.text;
    item.tooltip = new vscode.MarkdownString(['**Scout**', ...summary.lines].join('\n\n'));
    item.backgroundColor = summary.problem
      ? new vscode.ThemeColor('statusBarItem.errorBackground')
      : undefined;
    item.accessibilityInformation = { label: `Scout: ${summary.lines[0]}` };
  };
  render();
  item.show();
  context.subscriptions.push(item, status.onDidChange(render));
}
