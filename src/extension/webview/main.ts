/// <reference lib="dom" />
/**
 * The chat view's page script. It keeps no state the extension does not have: the extension sends the
 * whole conversation on load and after each turn, and streams deltas in between.
 */
import type { Citation } from '../../engine/protocol.js';
import type {
  FromWebview,
  HistoryEntry,
  ImageAttachment,
  MessageView,
  MeterView,
  ToWebview,
} from '../chat/messages.js';
import { formatTokens } from '../format.js';
import { citationLink, linkCitations, type RenderHooks, renderMarkdown } from './render.js';

declare function acquireVsCodeApi(): { postMessage(message: FromWebview): void };
const vscode = acquireVsCodeApi();
const post = (m: FromWebview) => vscode.postMessage(m);

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const transcript = $<HTMLElement>('transcript');
const input = $<HTMLTextAreaElement>('input');
const form = $<HTMLFormElement>('composer');
const stopButton = $<HTMLButtonElement>('stop');
const sendButton = $<HTMLButtonElement>('send');
const attachmentsEl = $<HTMLElement>('attachments');
const fileInput = $<HTMLInputElement>('file');
const historySelect = $<HTMLSelectElement>('history');
const progressEl = $<HTMLElement>('progress');

const MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024;
let messages: MessageView[] = [];
let attachments: ImageAttachment[] = [];
let busy = false;
let conversationId = '';
const dirty = new Set<string>();

const hooks: RenderHooks = {
  onCode: (action, code, language) => post({ type: 'code', action, code, language }),
  onCitation: (path, line) => post({ type: 'openCitation', path, line }),
  onLink: (href) => post({ type: 'openLink', href }),
};

// ── rendering ──────────────────────────────────────────────────────────────────────────────────────

function renderAll(): void {
  transcript.replaceChildren(...messages.map(messageElement));
  if (!messages.length) {
    const empty = document.createElement('p');
    empty.className = 'empty';
    empty.textContent = 'Ask about this codebase, or paste a screenshot to turn it into code.';
    transcript.append(empty);
  }
  transcript.scrollTop = transcript.scrollHeight;
}

function messageElement(m: MessageView): HTMLElement {
  const el = document.createElement('article');
  el.className = `message ${m.role}`;
  el.dataset.id = m.id;
  el.setAttribute('aria-label', m.role === 'user' ? 'You' : 'Scout');
  const body = document.createElement('div');
  body.className = 'body';
  el.append(body);
  fillMessage(el, m);
  return el;
}

function fillMessage(el: HTMLElement, m: MessageView): void {
  const body = el.querySelector<HTMLElement>('.body')!;
  if (m.role === 'user') {
    body.textContent = m.text;
    linkCitations(body, hooks); // `path:line` in a question opens too
    if (m.images.length) {
      const note = document.createElement('div');
      note.className = 'image-note';
      note.textContent = `🖼 ${m.images.join(', ')}`;
      body.append(note);
    }
  } else {
    renderMarkdown(body, m.text || (m.pending ? '…' : ''), hooks);
  }
  el.classList.toggle('pending', !!m.pending);
  el.querySelector('.sources')?.remove();
  el.querySelector('.error')?.remove();
  if (m.citations.length) el.append(sourcesElement(m.citations));
  if (m.error) {
    const err = document.createElement('div');
    err.className = 'error';
    err.setAttribute('role', 'alert');
    err.textContent = m.error;
    el.append(err);
  }
}

function sourcesElement(citations: Citation[]): HTMLElement {
  const el = document.createElement('div');
  el.className = 'sources';
  el.append('Sources: ');
  for (const c of citations) {
    const label = `${c.path}:${c.line}${c.endLine && c.endLine !== c.line ? `-${c.endLine}` : ''}`;
    el.append(citationLink(label, c.path, c.line, hooks), ' ');
  }
  return el;
}

/** Streaming re-renders a message at most once per frame, however fast deltas arrive. */
function scheduleRender(id: string): void {
  if (dirty.size === 0) requestAnimationFrame(flush);
  dirty.add(id);
}

function flush(): void {
  const atBottom = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 40;
  for (const id of dirty) {
    const m = messages.find((x) => x.id === id);
    const el = transcript.querySelector<HTMLElement>(`article[data-id="${CSS.escape(id)}"]`);
    if (m && el) fillMessage(el, m);
  }
  dirty.clear();
  if (atBottom) transcript.scrollTop = transcript.scrollHeight;
}

function setBusy(value: boolean): void {
  busy = value;
  stopButton.hidden = !busy;
  sendButton.disabled = busy;
}

function renderHistory(entries: HistoryEntry[], currentId: string): void {
  const options = entries.map((h) => {
    const o = document.createElement('option');
    o.value = h.id;
    o.textContent = `${h.title} — ${new Date(h.updated).toLocaleString()}`;
    o.selected = h.id === currentId;
    return o;
  });
  const placeholder = document.createElement('option');
  placeholder.value = '';
  placeholder.textContent = entries.length ? 'History' : 'No earlier chats';
  historySelect.replaceChildren(placeholder, ...options);
  if (!options.some((o) => o.selected)) placeholder.selected = true;
}

function renderMeter(m: MeterView): void {
  const meter = $<HTMLMeterElement>('context-meter');
  meter.max = Math.max(1, m.contextCapacity);
  meter.value = m.contextTokens;
  const parts = [
    m.contextCapacity
      ? `${formatTokens(m.contextTokens)} / ${formatTokens(m.contextCapacity)} tokens`
      : 'context unknown',
    m.repoTokens ? `repository ${formatTokens(m.repoTokens)}` : 'repository not packed',
    m.promptTokens
      ? `last prompt ${formatTokens(m.reusedTokens)} of ${formatTokens(m.promptTokens)} cached`
      : '',
    m.cacheHits + m.cacheMisses ? `cache ${m.cacheHits}/${m.cacheHits + m.cacheMisses} hits` : '',
  ].filter(Boolean);
  $('meter-text').textContent = parts.join(' · ');
  $('meter').title = parts.join('\n');
  $('model').textContent = m.model ? `${m.model.split('/').pop()} · ${m.engine}` : `engine ${m.engine}`;
}

function renderAttachments(): void {
  attachmentsEl.replaceChildren(
    ...attachments.map((a, i) => {
      const chip = document.createElement('span');
      chip.className = 'attachment';
      const img = document.createElement('img');
      img.src = `data:${a.mimeType};base64,${a.base64}`;
      img.alt = a.name;
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.textContent = '×';
      remove.setAttribute('aria-label', `Remove ${a.name}`);
      remove.addEventListener('click', () => {
        attachments.splice(i, 1);
        renderAttachments();
      });
      chip.append(img, remove);
      return chip;
    }),
  );
}

// ── input ──────────────────────────────────────────────────────────────────────────────────────────

async function addFiles(files: Iterable<File>): Promise<void> {
  for (const file of files) {
    if (!file.type.startsWith('image/')) continue;
    if (file.size > MAX_ATTACHMENT_BYTES) {
      showProgress(`${file.name || 'image'} is larger than 20 MB and was not attached.`);
      continue;
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000)
      binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    attachments.push({ name: file.name || 'pasted image', mimeType: file.type, base64: btoa(binary) });
  }
  renderAttachments();
}

function showProgress(text: string | null): void {
  progressEl.hidden = !text;
  progressEl.textContent = text ?? '';
}

function submit(): void {
  const text = input.value.trim();
  if (busy || (!text && !attachments.length)) return;
  post({ type: 'send', text, images: attachments });
  input.value = '';
  attachments = [];
  renderAttachments();
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  submit();
});
input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    submit();
  }
});
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && busy) post({ type: 'stop' });
  if (e.key === 'n' && e.ctrlKey && e.altKey) post({ type: 'newChat' });
});
input.addEventListener('paste', (e) => {
  const files = Array.from(e.clipboardData?.files ?? []).filter((f) => f.type.startsWith('image/'));
  if (!files.length) return;
  e.preventDefault();
  void addFiles(files);
});
document.addEventListener('dragover', (e) => e.preventDefault());
document.addEventListener('drop', (e) => {
  e.preventDefault();
  void addFiles(Array.from(e.dataTransfer?.files ?? []));
});
$('attach').addEventListener('click', () => fileInput.click());
fileInput.addEventListener('change', () => {
  void addFiles(Array.from(fileInput.files ?? []));
  fileInput.value = '';
});
stopButton.addEventListener('click', () => post({ type: 'stop' }));
$('new-chat').addEventListener('click', () => post({ type: 'newChat' }));
$('delete-chat').addEventListener('click', () => post({ type: 'deleteConversation', id: conversationId }));
historySelect.addEventListener(
  'change',
  () => historySelect.value && post({ type: 'openConversation', id: historySelect.value }),
);

// ── messages from the extension ────────────────────────────────────────────────────────────────────

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const m = event.data;
  switch (m.type) {
    case 'conversation':
      conversationId = m.id;
      messages = m.messages;
      $<HTMLButtonElement>('delete-chat').disabled = !m.history.some((h) => h.id === m.id);
      setBusy(m.busy);
      renderHistory(m.history, m.id);
      renderAll();
      if (!m.busy) showProgress(null);
      break;
    case 'delta': {
      const msg = messages.find((x) => x.id === m.id);
      if (!msg) break;
      msg.text += m.text;
      for (const c of m.citations)
        if (!msg.citations.some((x) => x.path === c.path && x.line === c.line)) msg.citations.push(c);
      scheduleRender(m.id);
      break;
    }
    case 'done':
      setBusy(false);
      showProgress(null);
      break;
    case 'meter':
      renderMeter(m.meter);
      break;
    case 'progress':
      showProgress(m.text);
      break;
    case 'attach':
      attachments.push(m.image);
      renderAttachments();
      input.focus();
      break;
    case 'setInput':
      input.value = m.text;
      input.focus();
      break;
  }
});

post({ type: 'ready' });
input.focus();
