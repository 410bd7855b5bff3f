/**
 * The chat view's HTML shell. Strict CSP: no remote content at all; scripts only with this page's
 * nonce; styles and fonts only from the extension; images only from the extension or inline data
 * (pasted screenshots). The page follows the theme through VS Code's CSS variables.
 */
import { randomBytes } from 'node:crypto';
import type * as vscode from 'vscode';

export function chatHtml(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  joinPath: (base: vscode.Uri, ...p: string[]) => vscode.Uri,
): string {
  const nonce = randomBytes(16).toString('base64');
  const css = webview.asWebviewUri(joinPath(extensionUri, 'media', 'chat.css'));
  const script = webview.asWebviewUri(joinPath(extensionUri, 'dist', 'webview.js'));
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `img-src ${webview.cspSource} data: blob:`,
    `script-src 'nonce-${nonce}'`,
    // Not covered by default-src: without these a form or <base> could still send data out.
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${css}">
<title>Scout</title>
</head>
<body>
<header class="toolbar" role="toolbar" aria-label="Chat">
  <button id="new-chat" title="New chat (Ctrl+Alt+N)" aria-label="New chat">New chat</button>
  <select id="history" aria-label="Chat history"><option value="">History</option></select>
  <button id="delete-chat" class="secondary" title="Delete this chat from the history" aria-label="Delete this chat">Delete</button>
  <span id="model" class="model" aria-live="polite"></span>
</header>
<div id="meter" class="meter" title="Context in use">
  <meter id="context-meter" min="0" max="1" value="0" aria-label="Context window in use"></meter>
  <span id="meter-text"></span>
</div>
<main id="transcript" class="transcript" aria-live="polite" aria-label="Conversation" tabindex="0"></main>
<div id="progress" class="progress" role="status" hidden></div>
<form id="composer" class="composer">
  <div id="attachments" class="attachments" aria-label="Attached images"></div>
  <textarea id="input" rows="3" placeholder="Ask about the codebase, or paste a screenshot… (Enter to send, Shift+Enter for a new line)" aria-label="Message Scout"></textarea>
  <div class="composer-actions">
    <button type="button" id="attach" title="Attach an image" aria-label="Attach an image">Attach image</button>
    <input type="file" id="file" accept="image/png,image/jpeg,image/webp,image/gif" multiple hidden>
    <button type="button" id="stop" class="secondary" hidden aria-label="Stop generating (Escape)">Stop</button>
    <button type="submit" id="send" aria-label="Send">Send</button>
  </div>
</form>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
