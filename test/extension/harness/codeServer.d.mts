// Types for codeServer.mjs (plain JS so that launcher.mjs, which runTests starts directly, can use it).
import type { BrowserContext } from 'playwright-core';

export declare const NODE24: string;
export declare const SERVER_MAIN: string;
export declare function startServer(options: {
  userDataDir: string;
  extensionsDir: string;
  env?: NodeJS.ProcessEnv;
  log?: (text: string) => void;
}): Promise<{ port: number; pid: number; stop(): void }>;
export declare function launchBrowser(): Promise<BrowserContext>;
export declare function workbenchUrl(
  port: number,
  paths: { folder: string; extensionDevelopmentPath: string; extensionTestsPath?: string },
): string;
