/// <reference lib="dom" />
/**
 * Markdown to DOM for the chat view: markdown-it with raw HTML disabled (an answer can never inject
 * markup or script), highlight.js for code, then the page's own decorations: a toolbar on every code
 * block and a link on every `path:line` citation.
 */
import hljs from 'highlight.js/lib/common';
import MarkdownIt from 'markdown-it';
import { findCitations } from '../chat/citations.js';
import type { CodeAction } from '../chat/messages.js';

const md = new MarkdownIt({
  html: false,
  linkify: false,
  breaks: false,
  highlight(code, lang) {
    const language = lang && hljs.getLanguage(lang) ? lang : undefined;
    if (!language) return ''; // markdown-it escapes it
    try {
      return hljs.highlight(code, { language, ignoreIllegals: true }).value;
    } catch {
      return '';
    }
  },
});

export interface RenderHooks {
  onCode(action: CodeAction, code: string, language: string): void;
  onCitation(path: string, line: number): void;
  onLink(href: string): void;
}

const ACTIONS: Array<[CodeAction, string, string]> = [
  ['copy', 'Copy', 'Copy the code'],
  ['insert', 'Insert', 'Insert the code at the cursor'],
  ['diff', 'Apply as diff', 'Review the change as a diff before applying it'],
  ['save', 'Save as file', 'Save the code as a new file'],
];

export function renderMarkdown(target: HTMLElement, text: string, hooks: RenderHooks): void {
  target.innerHTML = md.render(text);
  for (const pre of Array.from(target.querySelectorAll('pre'))) decorateCodeBlock(pre, hooks);
  // Links the answer wrote go through the extension, which opens web links only.
  for (const a of Array.from(target.querySelectorAll('a[href]'))) {
    const href = a.getAttribute('href') ?? '';
    a.addEventListener('click', (e) => {
      e.preventDefault();
      hooks.onLink(href);
    });
  }
  linkCitations(target, hooks);
}

function decorateCodeBlock(pre: HTMLPreElement, hooks: RenderHooks): void {
  const codeEl = pre.querySelector('code');
  const code = codeEl?.textContent ?? '';
  const language = /language-([\w+#.-]+)/.exec(codeEl?.className ?? '')?.[1] ?? '';
  const wrapper = document.createElement('div');
  wrapper.className = 'code-block';
  const bar = document.createElement('div');
  bar.className = 'code-actions';
  bar.setAttribute('role', 'toolbar');
  bar.setAttribute('aria-label', `${language || 'code'} block actions`);
  if (language) {
    const label = document.createElement('span');
    label.className = 'code-language';
    label.textContent = language;
    bar.append(label);
  }
  for (const [action, label, title] of ACTIONS) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = label;
    button.title = title;
    button.dataset.action = action;
    button.addEventListener('click', () => {
      hooks.onCode(action, code.replace(/\n$/, ''), language);
      if (action === 'copy') flash(button, 'Copied');
    });
    bar.append(button);
  }
  pre.replaceWith(wrapper);
  wrapper.append(bar, pre);
}

function flash(button: HTMLButtonElement, text: string): void {
  const old = button.textContent;
  button.textContent = text;
  setTimeout(() => (button.textContent = old), 1200);
}

/** Turns `path:line` in text (and inline code, not code blocks) into links the extension opens. */
export function linkCitations(root: HTMLElement, hooks: RenderHooks): void {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) =>
      n.parentElement?.closest('pre, a') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
  });
  const nodes: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n as Text);
  for (const node of nodes) {
    const text = node.data;
    const matches = findCitations(text);
    if (!matches.length) continue;
    const frag = document.createDocumentFragment();
    let at = 0;
    for (const m of matches) {
      frag.append(text.slice(at, m.index));
      frag.append(citationLink(text.slice(m.index, m.index + m.length), m.path, m.line, hooks));
      at = m.index + m.length;
    }
    frag.append(text.slice(at));
    node.replaceWith(frag);
  }
}

export function citationLink(
  label: string,
  path: string,
  line: number,
  hooks: RenderHooks,
): HTMLAnchorElement {
  const a = document.createElement('a');
  a.href = '#';
  a.className = 'citation';
  a.textContent = label;
  a.title = `Open ${path} at line ${line}`;
  a.addEventListener('click', (e) => {
    e.preventDefault();
    hooks.onCitation(path, line);
  });
  return a;
}
