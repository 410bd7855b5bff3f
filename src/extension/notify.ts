/**
 * Errors reach the user once, with what to do next; the logs get the rest.
 *
 * Cancellations are answers, not failures, and are never shown. The same message is not shown again
 * while its notification is open, so a failing completion provider cannot flood the screen.
 */
import * as vscode from 'vscode';
import { describeError, isCancellation, type Remedy, remedyFor } from './errors.js';
import { log } from './log.js';

const open = new Set<string>();

/** What the user can do about each kind of failure, as buttons. */
const ACTIONS: Record<Remedy, string[]> = {
  'choose-model': ['Select Model Folder', 'Open Logs'],
  'check-server': ['Use OpenAI-compatible Server', 'Open Logs'],
  'free-memory': ['Open Settings', 'Open Logs'],
  'fix-image': ['Open Logs'],
  none: ['Open Logs'],
  restart: ['Restart Engine', 'Open Logs'],
};

const commandFor: Record<string, string> = {
  'Select Model Folder': 'scout.selectModelFolder',
  'Use OpenAI-compatible Server': 'scout.useEndpoint',
  'Restart Engine': 'scout.restartEngine',
  'Open Logs': 'scout.openLogs',
};

export async function showError(context: string, e: unknown): Promise<void> {
  if (isCancellation(e)) return;
  const message = `Scout: ${context}: ${describeError(e)}`;
  log().error(message, e instanceof Error && e.cause ? e.cause : '');
  if (open.has(message)) return;
  open.add(message);
  try {
    const choice = await vscode.window.showErrorMessage(message, ...ACTIONS[remedyFor(e)]);
    if (choice === 'Open Settings')
      await vscode.commands.executeCommand('workbench.action.openSettings', 'scout.');
    else if (choice) await vscode.commands.executeCommand(commandFor[choice]!);
  } finally {
    open.delete(message);
  }
}
