/**
 * The sidecar's first-run parts (model/setup, model/plan, model/download) and the preflight that runs
 * before every native load: thin adapters from the protocol to the model-management library
 * (model/setup.ts), which the CLI's `scout model …` commands share.
 *
 * The environment and the machine probe are injectable so tests run the real library against a local
 * Hub and a machine of their choosing; production uses process.env and the real probe.
 */
import { DEFAULT_CONTEXT } from '../session/native-backend.js';
import { join } from 'node:path';
import { ScoutError } from '../errors.js';
import { readLlama4Config } from '../model/config.js';
import { probeMachine, type MachineMemory } from '../model/machine.js';
import { SCOUT_REPO } from '../model/paths.js';
import { checkFits, DEFAULT_RESERVE_BYTES } from '../model/plan.js';
import { downloadForSetup, planForMachine, setupStatus } from '../model/setup.js';
import type * as P from '../protocol.js';

type Env = Record<string, string | undefined>;

export interface SetupDeps {
  status(settings: P.EngineSettings): Promise<P.ModelSetupResult>;
  plan(params: P.ModelPlanParams, settings: P.EngineSettings): Promise<P.ModelPlanResult>;
  download(
    params: Omit<P.ModelDownloadParams, 'progressToken'>,
    onProgress: (done: number, total: number, message?: string) => void,
    signal: AbortSignal,
  ): Promise<P.ModelDownloadResult>;
  /** Throws ScoutError('out_of_memory'), saying what would fit, when the model cannot load on this machine. */
  preflight(modelDir: string, settings: P.EngineSettings): Promise<void>;
}

/** The native engine's context when the settings name none (native-backend.ts's default). */

export function setupDeps(o: { env?: Env; probe?: () => Promise<MachineMemory> } = {}): SetupDeps {
  const env = o.env ?? process.env;
  const probe = o.probe ?? probeMachine;
  const folders = (settings: P.EngineSettings) =>
    settings.modelFolders?.length ? { folders: settings.modelFolders } : {};

  const plan: SetupDeps['plan'] = async (params, settings) => {
    const modelDir = params.path ?? settings.modelPath;
    return planForMachine({
      ...(modelDir ? { modelDir } : {}),
      ...folders(settings),
      ...(params.context !== undefined ? { context: params.context } : {}),
      env,
      machine: await probe(),
    });
  };

  return {
    async status(settings) {
      const found = await setupStatus({
        ...(settings.modelPath ? { model: settings.modelPath } : {}),
        ...folders(settings),
        env,
      });
      const chosen = found.chosen?.dir ?? null;
      return {
        models: found.models.map((m) => ({
          path: m.dir,
          origin: m.source,
          architecture: m.architecture ?? 'unknown',
          sizeBytes: m.weightBytes,
          dtype: m.dtype ?? 'unknown',
          usable: m.supported && m.complete && !m.problem,
          ...(m.problem ? { problem: m.problem } : {}),
        })),
        chosen,
        repo: SCOUT_REPO,
        cacheDir: found.cacheDir,
        hasToken: found.hasToken,
        plan: await plan(chosen ? { path: chosen } : {}, settings),
      };
    },

    plan,

    async download(params, onProgress, signal) {
      let total = 0;
      let done = 0;
      const result = await downloadForSetup({
        ...(params.repo ? { repo: params.repo } : {}),
        ...(params.revision ? { revision: params.revision } : {}),
        // The caller's token for this call only: never stored, never logged.
        ...(params.token ? { token: { token: params.token, source: 'VS Code secret storage' } } : {}),
        env,
        signal,
        onStart: (info) => {
          total = info.totalBytes;
          done = info.presentBytes;
          onProgress(done, total, `${info.files} files`);
        },
        onBytes: (delta) => {
          done += delta;
          onProgress(done, total);
        },
      });
      return {
        repo: result.repo,
        commit: result.commit,
        path: result.snapshotDir,
        files: result.files.length,
        fetchedBytes: result.fetchedBytes,
      };
    },

    async preflight(modelDir, settings) {
      const config = await readLlama4Config(join(modelDir, 'config.json'));
      const context = settings.contextSize ?? Math.min(config.text.maxPositionEmbeddings, DEFAULT_CONTEXT);
      const machine = await probe();
      // The built-in engine runs in RAM and keeps its KV cache in f32; with f32 weights (its default)
      // every byte is twice the plan's bf16 figure, so the check gives it half the usable memory.
      // With bf16 weights the f32 KV cache is counted as bf16: small next to the weights.
      const halved: MachineMemory =
        (settings.weights ?? 'f32') === 'f32' && machine.ramAvailableBytes > DEFAULT_RESERVE_BYTES
          ? {
              ...machine,
              ramAvailableBytes:
                DEFAULT_RESERVE_BYTES + Math.floor((machine.ramAvailableBytes - DEFAULT_RESERVE_BYTES) / 2),
            }
          : machine;
      const { plan: memory } = await planForMachine({
        modelDir,
        env,
        machine: halved,
        context: Math.min(context, config.text.maxPositionEmbeddings),
      });
      try {
        checkFits(memory, { device: 'ram', weights: 'bf16', kv: 'bf16', context });
      } catch (e) {
        if (!(e instanceof ScoutError)) throw e;
        const weights = settings.weights ?? 'f32';
        throw new ScoutError(
          'out_of_memory',
          `Scout did not load ${modelDir}: it would not fit in this machine's memory with ${weights} weights and ${context} tokens of context (${e.message}). Lower scout.contextSize, use bf16 weights, or use an OpenAI-compatible server.`,
        );
      }
    },
  };
}
