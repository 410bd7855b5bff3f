/**
 * The chat webview's Content-Security-Policy forbids remote content: nothing on the page (an
 * image or link in a rendered answer, a stylesheet, a form, a fetch) can send data off the
 * machine. Checked on the HTML the view really serves (chatHtml), with VS Code's own form of
 * webview.cspSource:
 *   * default-src 'none', so every fetch directive not named falls back to nothing (connect-src,
 *     media-src, frame-src, worker-src, …);
 *   * the directives that do not fall back to default-src (form-action, base-uri) are 'none';
 *   * every source named is the webview's own resource origin, a nonce, or inline data (data:,
 *     blob: for pasted screenshots): no scheme, host or wildcard of the internet, nothing unsafe;
 *   * the page itself loads nothing but webview resources, and the policy comes first.
 */
import { describe, expect, it } from 'vitest';
import type * as vscode from 'vscode';
import { chatHtml } from '../../src/extension/chat/html.js';

// What VS Code (1.138) gives: resources are served from its CDN-named origin by a service worker.
const CSP_SOURCE = 'https://*.vscode-cdn.net';
const RESOURCE = 'https://file%2B.vscode-resource.vscode-cdn.net';

function servedHtml(): string {
  type Uri = { path: string; toString(): string };
  const uri = (path: string): Uri => ({ path, toString: () => `${RESOURCE}${path}` });
  const webview = {
    cspSource: CSP_SOURCE,
    asWebviewUri: (u: Uri) => u,
  } as unknown as vscode.Webview;
  const join = (base: Uri, ...parts: string[]) => uri([base.path, ...parts].join('/'));
  return chatHtml(webview, uri('/ext') as unknown as vscode.Uri, join as never);
}

function policy(html: string): Map<string, string[]> {
  const metas = [...html.matchAll(/<meta http-equiv="Content-Security-Policy" content="([^"]*)">/g)];
  expect(metas).toHaveLength(1);
  const directives = new Map<string, string[]>();
  for (const part of metas[0]![1]!.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (!name) continue;
    expect(directives.has(name), `${name} given twice`).toBe(false);
    directives.set(name, sources);
  }
  return directives;
}

describe('chat webview CSP', () => {
  const html = servedHtml();
  const csp = policy(html);

  it('denies by default, and closes what default-src does not cover', () => {
    expect(csp.get('default-src')).toEqual(["'none'"]);
    expect(csp.get('form-action'), 'form-action (a form can post anywhere otherwise)').toEqual(["'none'"]);
    expect(csp.get('base-uri'), 'base-uri (a <base> could re-point relative URLs)').toEqual(["'none'"]);
    for (const fallsBack of [
      'connect-src',
      'media-src',
      'frame-src',
      'child-src',
      'worker-src',
      'object-src',
    ])
      expect(csp.get(fallsBack) ?? ["'none'"]).toEqual(["'none'"]);
  });

  it('names only the webview origin, a nonce and inline data as sources', () => {
    for (const [name, sources] of csp) {
      for (const source of sources) {
        const allowed =
          source === "'none'" ||
          source === CSP_SOURCE ||
          /^'nonce-[A-Za-z0-9+/=]{16,}'$/.test(source) ||
          (name === 'img-src' && (source === 'data:' || source === 'blob:'));
        expect(allowed, `${name} allows ${source}`).toBe(true);
      }
    }
    expect(csp.get('script-src')).toHaveLength(1);
  });

  it('gives each page a fresh nonce', () => {
    expect(policy(servedHtml()).get('script-src')).not.toEqual(csp.get('script-src'));
  });

  it('loads nothing but webview resources, after the policy', () => {
    const urls = [...html.matchAll(/\b(?:src|href|action|srcset|poster|data)="([^"]*)"/g)].map((m) => m[1]!);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(url.startsWith(`${RESOURCE}/ext/`), url).toBe(true);
    expect(html.indexOf('Content-Security-Policy')).toBeLessThan(html.search(/<(link|script|img|style)\b/));
    expect(html).not.toMatch(/<(iframe|object|embed|base)\b/);
  });
});
