/**
 * The repository as Scout sees it from the editor: which folder is packed, which files are open or
 * were edited recently (they rank first in the pack), and which globs files.exclude hides.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RepoPackParams } from '../engine/protocol.js';

const MAX_RECENT = 20;
const recent: string[] = [];

export function registerRepoContext(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document.uri.scheme !== 'file' || !e.contentChanges.length) return;
      const p = e.document.uri.fsPath;
      const i = recent.indexOf(p);
      if (i === 0) return;
      if (i > 0) recent.splice(i, 1);
      recent.unshift(p);
      recent.length = Math.min(recent.length, MAX_RECENT);
    }),
  );
}

/** The folder questions are about: the active editor's workspace folder, else the first one. */
export function workspaceRoot(): string | undefined {
  const active = vscode.window.activeTextEditor?.document.uri;
  const folder =
    (active && vscode.workspace.getWorkspaceFolder(active)) ?? vscode.workspace.workspaceFolders?.[0];
  // The sidecar reads files from disk on its own machine, which is where this extension runs.
  return folder?.uri.scheme === 'file' ? folder.uri.fsPath : undefined;
}

function relativeInside(root: string, file: string): string | undefined {
  const rel = path.relative(root, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : undefined;
}

export function packParams(root: string, query?: string): Omit<RepoPackParams, 'progressToken'> {
  const openFiles = vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .sort((a, b) => Number(b.isActive) - Number(a.isActive))
    .map((t) =>
      t.input instanceof vscode.TabInputText ? relativeInside(root, t.input.uri.fsPath) : undefined,
    )
    .filter((p): p is string => !!p);
  const recentFiles = recent.map((p) => relativeInside(root, p)).filter((p): p is string => !!p);
  const excludes =
    vscode.workspace
      .getConfiguration('files', vscode.Uri.file(root))
      .get<Record<string, unknown>>('exclude') ?? {};
  const exclude = Object.entries(excludes)
    .filter(([, on]) => on === true)
    .map(([glob]) => glob);
  return { root, ...(query ? { query } : {}), openFiles: [...new Set(openFiles)], recentFiles, exclude };
}
