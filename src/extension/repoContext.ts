/**
 * The repository as Scout sees it from the editor: which folder is packed, which files are open or
 * were edited recently (they rank first in the pack), and which globs files.exclude hides.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RepoPackParams } from '../engine/protocol.js';
import type { ScoutClient } from './sidecar/client.js';

const MAX_RECENT = 20;
const recent: string[] = [];
/** Change events are gathered this long, so a save-all or a branch switch becomes a few messages. */
const CHANGE_DEBOUNCE_MS = 400;
/** At most this many paths per `repo/changed`: a checkout touching 50,000 files must not make one huge message. */
export const MAX_CHANGE_BATCH = 500;

export function registerRepoContext(context: vscode.ExtensionContext, client: ScoutClient): void {
  context.subscriptions.push(new RepoWatcher((root, paths) => client.repoChanged(root, paths)));
  client.reportsChanges = true;
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

/**
 * Watches the workspace's local folders and reports created, changed and deleted files to the engine
 * (`repo/changed`), so packing again re-reads only those files instead of walking the repository.
 */
export class RepoWatcher implements vscode.Disposable {
  private readonly pending = new Map<string, Set<string>>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly send: (root: string, paths: string[]) => void,
    debounceMs = CHANGE_DEBOUNCE_MS,
  ) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/*');
    const record = (uri: vscode.Uri) => this.record(uri, debounceMs);
    this.disposables.push(
      watcher,
      watcher.onDidCreate(record),
      watcher.onDidChange(record),
      watcher.onDidDelete(record),
    );
  }

  private record(uri: vscode.Uri, debounceMs: number): void {
    // The sidecar reads the disk of the machine it runs on: only local folders are packed.
    if (uri.scheme !== 'file') return;
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (folder?.uri.scheme !== 'file') return;
    const root = folder.uri.fsPath;
    const rel = relativeInside(root, uri.fsPath);
    if (!rel) return;
    let paths = this.pending.get(root);
    if (!paths) this.pending.set(root, (paths = new Set()));
    paths.add(rel);
    this.timer ??= setTimeout(() => this.flush(), debounceMs);
  }

  /** Sends what is pending now, in batches of at most MAX_CHANGE_BATCH paths. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const [root, paths] of this.pending) {
      const all = [...paths];
      for (let i = 0; i < all.length; i += MAX_CHANGE_BATCH)
        this.send(root, all.slice(i, i + MAX_CHANGE_BATCH));
    }
    this.pending.clear();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.pending.clear();
    for (const d of this.disposables) d.dispose();
  }
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
