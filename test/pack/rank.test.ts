import { describe, expect, it } from 'vitest';
import { bm25, terms } from '../../src/engine/pack/rank/bm25.js';
import { rankFiles, RepoMapRanker } from '../../src/engine/pack/rank/repo-map.js';
import { scanSymbols } from '../../src/engine/pack/rank/symbols.js';

const file = (path: string, text: string) => ({ path, analysis: scanSymbols(text) });
/** a.ts uses b.ts, which uses c.ts. */
const threeFiles = () => [
  file('a.ts', 'useThing(); useThing();'),
  file('b.ts', 'export function useThing() {}\notherHelper();'),
  file('c.ts', 'export function otherHelper() {}'),
];

describe('rank', () => {
  it('finds definitions and references across languages by scanning', () => {
    const s = scanSymbols(
      'export function parseRequest() {}\nclass HttpServer {}\ndef helper_fn():\nfunc (s *Srv) ServeHTTP() {}\nconst LIMIT = 3;\nuse(parseRequest, OtherThing, OtherThing);',
    );
    expect(s.definitions).toEqual(['HttpServer', 'LIMIT', 'ServeHTTP', 'helper_fn', 'parseRequest']);
    expect(s.references).toMatchObject({ OtherThing: 2 });
    expect(s.references).not.toHaveProperty('parseRequest');
  });

  it('counts identifiers exactly as /[A-Za-z_$][A-Za-z0-9_$]{2,}/g matches them', () => {
    // Digits and non-ASCII letters end or precede a match; runs shorter than three hold none.
    expect(scanSymbols('9abc ab a9bc x_y_z éabc abcé 12abc __init $el q1').references).toEqual({
      $el: 1,
      __init: 1,
      a9bc: 1,
      abc: 4,
      x_y_z: 1,
    });
  });

  it('ranks the file that the others depend on first', () => {
    const files = [
      file('a.ts', 'import { createStore } from "./store"; createStore(); createStore();'),
      file('b.ts', 'createStore(); dispatchAction();'),
      file('store.ts', 'export function createStore() {}\nexport function dispatchAction() {}'),
      file('lonely.ts', 'export function nobodyCallsMe() {}'),
    ];
    const scores = rankFiles(files);
    const best = [...scores.keys()].sort((x, y) => scores[y]! - scores[x]!)[0];
    expect(files[best!]!.path).toBe('store.ts');
    expect(scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });

  it('gives a long-lived ranker the same scores as ranking from scratch after an edit', () => {
    const ranker = new RepoMapRanker();
    const before = threeFiles();
    ranker.rank(before);
    const after = [
      before[0]!,
      file('b.ts', 'export function useThing() {}\notherHelper(); otherHelper(); useThing();'),
      before[2]!,
    ];
    expect([...ranker.rank(after)]).toEqual([...rankFiles(after)]);
  });

  it('reuses its last scores only while every edge is unchanged', () => {
    const ranker = new RepoMapRanker();
    const v1 = threeFiles();
    const first = ranker.rank(v1);
    first.fill(0); // the caller owns what it gets: the kept scores must not change with it
    // An edit to a body that refers to the same names in the same counts: same graph, same scores.
    const v2 = [v1[0]!, file('b.ts', 'export function useThing() {}\n// changed\notherHelper();'), v1[2]!];
    expect([...ranker.rank(v2)]).toEqual([...rankFiles(v2)]);
    // An edit that adds an edge must be ranked again.
    const v3 = [file('a.ts', 'useThing(); otherHelper();'), v2[1]!, v2[2]!];
    const fresh = rankFiles(v3);
    expect([...ranker.rank(v3)]).toEqual([...fresh]);
    expect([...fresh]).not.toEqual([...rankFiles(v2)]);
  });

  it('scores BM25 by identifier parts and symbol names', () => {
    expect(terms('parseHTTPRequest snake_case')).toEqual(
      expect.arrayContaining(['parsehttprequest', 'parse', 'http', 'request', 'snake', 'case']),
    );
    const s = bm25('parse request', [
      { text: 'function unrelated() {}', symbols: [] },
      { text: 'return parseRequest(input)', symbols: [] },
      { text: 'body', symbols: ['parseRequest'] },
    ]);
    expect(s[0]).toBe(0);
    expect(s[2]).toBeGreaterThan(s[1]!);
  });
});
