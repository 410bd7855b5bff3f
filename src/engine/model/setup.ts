/**
 * The first-run steps as plain functions, shared by `scout model …` and the sidecar that serves the
 * extension's walkthrough (find the model, or download it with the user's token, show the plan,
 * load). The extension keeps the token in VS Code's secret storage and passes it in per call; nothing
 * here stores it, and it is never written to settings or logs.
 */
import { resolve } from 'node:path';
import { ScoutError } from '../errors.js';
import { parseLlama4Config, readLlama4Config, type Llama4Config } from './config.js';
import { findModels, resolveModel, type ModelSummary } from './discover.js';
import { downloadModel, type DownloadOptions, type DownloadResult } from './download.js';
import { DEFAULT_HUB_URL, type HubClient } from './hub.js';
import { probeMachine, type MachineMemory } from './machine.js';
import { defaultHubCache, readHubToken, SCOUT_REPO, type HubToken } from './paths.js';
import { planMemory, type MemoryPlan, type PlanOptions } from './plan.js';
import { SCOUT_CONFIG } from './scoutConfig.js';

type Env = Record<string, string | undefined>;

/** The Hub's address: $HF_ENDPOINT (a mirror, or the tests' loopback server) or huggingface.co. */
export function hubUrlFromEnv(env: Env = process.env): string {
  const url = env['HF_ENDPOINT'] || DEFAULT_HUB_URL;
  if (!/^https?:\/\/[^\s/]+/.test(url))
    throw new ScoutError('invalid_argument', `HF_ENDPOINT '${url}' is not an http(s) URL`);
  return url.replace(/\/+$/, '');
}

/**
 * A Hub client with an explicit token (the extension's secret storage), else the token the Hugging
 * Face CLI would use (HF_TOKEN, its token file), else none (public repos only).
 */
export async function createHubClient(token?: HubToken, env: Env = process.env): Promise<HubClient> {
  const t = token ?? (await readHubToken(env));
  return { hubUrl: hubUrlFromEnv(env), token: t?.token, tokenSource: t?.source, fetch: globalThis.fetch };
}

export interface SetupStatus {
  /** Every model found, usable or not, in discovery order. */
  models: ModelSummary[];
  /** The one Scout would load, when there is one. */
  chosen: ModelSummary | undefined;
  /** Where a download would go. */
  cacheDir: string;
  /** Whether a Hub token is available without asking the user (HF_TOKEN or the CLI's token file). */
  hasToken: boolean;
}

/** Step 1 of the walkthrough: is there a model already, and can we download without asking for a token? */
export async function setupStatus(
  o: { model?: string; folders?: string[]; env?: Env } = {},
): Promise<SetupStatus> {
  const env = o.env ?? process.env;
  const [models, chosen, token] = await Promise.all([
    findModels({ model: o.model, folders: o.folders, env }),
    resolveModel({ model: o.model, folders: o.folders, env }).catch((e: unknown) => {
      if (e instanceof ScoutError && (e.code === 'not_found' || e.code === 'config')) return undefined;
      throw e;
    }),
    readHubToken(env).catch(() => undefined),
  ]);
  return { models, chosen, cacheDir: defaultHubCache(env), hasToken: token !== undefined };
}

/** Step 2: download (Scout by default) into the shared HF cache; resumable, verified. */
export async function downloadForSetup(
  o: Omit<DownloadOptions, 'client' | 'repo' | 'cacheDir'> & {
    token?: HubToken;
    repo?: string;
    cacheDir?: string;
    env?: Env;
  },
): Promise<DownloadResult> {
  const env = o.env ?? process.env;
  return downloadModel({
    ...o,
    client: await createHubClient(o.token, env),
    repo: o.repo ?? SCOUT_REPO,
    cacheDir: resolve(o.cacheDir ?? defaultHubCache(env)),
  });
}

export interface MachinePlan {
  /** The model folder the plan is for, or Scout's published config when none is on disk. */
  source: string;
  machine: MachineMemory;
  plan: MemoryPlan;
}

/**
 * Step 3: what fits. From `modelDir`'s config, else the model discovery would load, else Scout's
 * published config (so the plan can be shown before a 218 GB download).
 */
export async function planForMachine(
  o: PlanOptions & { modelDir?: string; folders?: string[]; env?: Env; machine?: MachineMemory } = {},
): Promise<MachinePlan> {
  let config: Llama4Config;
  let source: string;
  if (o.modelDir) {
    source = resolve(o.modelDir);
    config = await readLlama4Config(resolve(source, 'config.json'));
  } else {
    const found = await resolveModel({ folders: o.folders, env: o.env }).catch((e: unknown) => {
      if (e instanceof ScoutError && e.code === 'not_found') return undefined;
      throw e;
    });
    source = found ? found.dir : `${SCOUT_REPO} (not downloaded; its published config)`;
    config = found
      ? await readLlama4Config(resolve(found.dir, 'config.json'))
      : parseLlama4Config(JSON.stringify(SCOUT_CONFIG));
  }
  const machine = o.machine ?? (await probeMachine());
  return { source, machine, plan: planMemory(config, machine, o) };
}
