/**
 * What the buttons on a code block in an answer do: copy, insert at the cursor, apply as a diff the
 * user reviews before accepting, save as a new file. And opening a `path:line` citation.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CodeAction } from './messages.js';

const PROPOSAL_SCHEME = 'scout-proposal';
const proposals = new Map<string, string>();

export function registerCodeActions(context: vscode.ExtensionContext): void {
  // Proposed file contents for the diff view: read-only documents that live only in memory.
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(PROPOSAL_SCHEME, {
      provideTextDocumentContent: (uri) => proposals.get(uri.query) ?? '',
    }),
  );
}

export async function runCodeAction(action: CodeAction, code: string, language: string): Promise<void> {
  switch (action) {
    case 'copy':
      await vscode.env.clipboard.writeText(code);
      return;
    case 'insert':
      return insertAtCursor(code);
    case 'diff':
      return applyAsDiff(code);
    case 'save':
      return saveAsFile(code, language);
  }
}

function targetEditor(): vscode.TextEditor | undefined {
  const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
  if (!editor)
    void vscode.window.showInformationMessage(
      'Scout: open the file to change first, then use the button again.',
    );
  return editor;
}

async function insertAtCursor(code: string): Promise<void> {
  const editor = targetEditor();
  if (!editor) return;
  await editor.edit((edit) => editor.selections.forEach((s) => edit.replace(s, code)));
  await vscode.window.showTextDocument(editor.document, editor.viewColumn);
}

/**
 * Shows the editor's file with the code in place of the selection (or of the whole file when
 * nothing is selected) as a diff, and changes the file only when the user accepts.
 */
async function applyAsDiff(code: string): Promise<void> {
  const editor = targetEditor();
  if (!editor) return;
  const doc = editor.document;
  const range = editor.selection.isEmpty
    ? new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length))
    : editor.selection;
  const proposed =
    doc.getText().slice(0, doc.offsetAt(range.start)) + code + doc.getText().slice(doc.offsetAt(range.end));
  const key = `${Date.now()}-${proposals.size}`;
  proposals.set(key, proposed);
  const right = vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: doc.uri.path, query: key });
  const version = doc.version;
  try {
    await vscode.commands.executeCommand(
      'vscode.diff',
      doc.uri,
      right,
      `${path.basename(doc.uri.path)} ↔ Scout's proposal`,
    );
    const choice = await vscode.window.showInformationMessage(
      `Apply Scout's change to ${path.basename(doc.uri.path)}?`,
      'Apply',
      'Discard',
    );
    if (choice !== 'Apply') return;
    if (doc.version !== version) {
      void vscode.window.showWarningMessage(
        'Scout: the file changed while the diff was open; nothing was applied.',
      );
      return;
    }
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, range, code);
    await vscode.workspace.applyEdit(edit);
  } finally {
    proposals.delete(key);
  }
}

const EXTENSIONS: Record<string, string> = {
  typescript: 'ts',
  ts: 'ts',
  tsx: 'tsx',
  javascript: 'js',
  js: 'js',
  jsx: 'jsx',
  python: 'py',
  py: 'py',
  html: 'html',
  css: 'css',
  scss: 'scss',
  json: 'json',
  rust: 'rs',
  go: 'go',
  java: 'java',
  kotlin: 'kt',
  c: 'c',
  cpp: 'cpp',
  'c++': 'cpp',
  csharp: 'cs',
  cs: 'cs',
  ruby: 'rb',
  php: 'php',
  shell: 'sh',
  bash: 'sh',
  sh: 'sh',
  yaml: 'yaml',
  yml: 'yaml',
  toml: 'toml',
  markdown: 'md',
  md: 'md',
  sql: 'sql',
  swift: 'swift',
  vue: 'vue',
  svelte: 'svelte',
};

async function saveAsFile(code: string, language: string): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const ext = EXTENSIONS[language.toLowerCase()] ?? 'txt';
  const target = await vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, `scout-snippet.${ext}`) : undefined,
    title: 'Save code from Scout as',
  });
  if (!target) return;
  await vscode.workspace.fs.writeFile(
    target,
    new TextEncoder().encode(code.endsWith('\n') ? code : `${code}\n`),
  );
  await vscode.window.showTextDocument(target);
}

/**
 * A path from the model's answer, as a file of this workspace. It is resolved inside the workspace
 * folders only: an absolute path or `../` that leaves them, or a file that does not exist, gives
 * undefined.
 */
export async function resolveWorkspaceFile(citedPath: string): Promise<vscode.Uri | undefined> {
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const root = folder.uri.fsPath;
    const resolved = path.resolve(root, citedPath.replace(/^\.\//, ''));
    if (resolved !== root && !resolved.startsWith(root + path.sep)) continue;
    const uri = folder.uri.with({
      path: path.posix.join(folder.uri.path, path.relative(root, resolved).split(path.sep).join('/')),
    });
    try {
      if ((await vscode.workspace.fs.stat(uri)).type & vscode.FileType.File) return uri;
    } catch {
      // not in this folder; try the next
    }
  }
  return undefined;
}

export async function openCitation(citedPath: string, line: number): Promise<boolean> {
  const uri = await resolveWorkspaceFile(citedPath);
  if (!uri) {
    void vscode.window.showInformationMessage(`Scout: ${citedPath} is not a file in this workspace.`);
    return false;
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  const l = Math.min(Math.max(1, Math.floor(line)), doc.lineCount) - 1;
  await vscode.window.showTextDocument(doc, { selection: new vscode.Range(l, 0, l, 0), preview: true });
  return true;
}
