/**
 * The sidecar's production parts: model discovery, the native engine or a remote server, and the
 * repository packer (one incremental packer per repository, kept between questions).
 */
import { findModels } from '../model/discover.js';
import { OpenAIBackend } from '../openai/client.js';
import { RepoPacker, defaultDeps } from '../pack/pack.js';
import type * as P from '../protocol.js';
import { createNativeBackend } from '../session/native-backend.js';
import { repoContext } from '../session/repo-context.js';
import type { CoreDeps, LoadedBackend } from './core.js';
import { setupDeps, type SetupDeps } from './setupDeps.js';
import { loadBinding } from '../native/binding.js';
import { loadO200kBase } from '../tokenizer/index.js';

export const ENGINE_VERSION = '0.1.0';

/** `setup` replaces the first-run parts (tests give them a local Hub and a machine of their own). */
export function productionDeps(o: { setup?: SetupDeps } = {}): CoreDeps {
  const packers = new Map<string, RepoPacker>();
  /** Repositories whose changes the client reports (repo/changed), so packs can be incremental. */
  const watched = new Set<string>();
  let modelDir: string | undefined;

  return {
    engineVersion: ENGINE_VERSION,
    setup: o.setup ?? setupDeps(),
    nativeAvailable() {
      try {
        loadBinding();
        return true;
      } catch {
        return false;
      }
    },

    async listModels(settings) {
      const models = await findModels({
        ...(settings.modelPath ? { model: settings.modelPath } : {}),
        ...(settings.modelFolders ? { folders: settings.modelFolders } : {}),
      });
      return models
        .filter((m) => m.supported && m.complete)
        .map((m) => ({
          path: m.dir,
          origin: m.source,
          architecture: m.architecture ?? 'unknown',
          sizeBytes: m.weightBytes,
          dtype: m.dtype ?? 'unknown',
        }));
    },

    async load(target, settings, onProgress, signal): Promise<LoadedBackend> {
      if (target.endpoint) {
        const remote = new OpenAIBackend({ endpoint: target.endpoint });
        const [first] = await remote.listModels(signal);
        modelDir = undefined;
        return {
          backend: remote,
          info: {
            id: first?.id ?? 'remote',
            source: target.endpoint,
            backend: 'remote',
            contextLength: first?.contextLength ?? 0,
            weightBytes: 0,
          },
          kvBytes: () => 0,
          cacheStats: () => ({ entries: 0, hits: 0, misses: 0, reusedTokens: 0 }),
          dispose: async () => {},
        };
      }
      const native = await createNativeBackend({
        model: target.path!,
        ...(settings.weights ? { weights: settings.weights } : {}),
        ...(settings.threads ? { threads: settings.threads } : {}),
        ...(settings.contextSize ? { contextSize: settings.contextSize } : {}),
        signal,
        onProgress: (message, done, total) => onProgress(done ?? 0, total ?? 0, message),
      });
      modelDir = target.path;
      // Packs are counted with the loaded model's tokenizer from now on: drop packers built for another.
      for (const p of packers.values()) await p.close();
      packers.clear();
      const [info] = await native.listModels();
      return {
        backend: native,
        info: {
          id: info!.id,
          source: info!.source,
          backend: 'native',
          contextLength: native.contextSize,
          weightBytes: native.model.weightBytes,
        },
        kvBytes: () => native.cacheStats().kvBytes,
        cacheStats: () => {
          const { entries, hits, misses, reusedTokens } = native.cacheStats();
          return { entries, hits, misses, reusedTokens };
        },
        prefill: (system, onProgress, signal) => native.prefill(system, onProgress, signal),
        countTokens: (text) => native.tokenizer.count(text),
        dispose: () => native.dispose(),
      };
    },

    repoChanged(root, paths) {
      watched.add(root);
      packers.get(root)?.notifyChanged(paths);
    },

    async countO200k(text) {
      return (await loadO200kBase()).count(text);
    },

    async pack(params: P.RepoPackParams, onProgress, signal) {
      let packer = packers.get(params.root);
      if (!packer) {
        const tokenizer = modelDir
          ? { kind: 'file' as const, path: modelDir }
          : { kind: 'o200k_base' as const };
        packer = new RepoPacker(params.root, defaultDeps(params.root, { tokenizer }));
        packers.set(params.root, packer);
      }
      // Without change events from the extension (the CLI, a first pack), discover everything again.
      if (!watched.has(params.root)) packer.invalidateAll();
      const result = await packer.pack({
        ...(params.budget !== undefined ? { budget: params.budget } : {}),
        ...(params.query ? { query: params.query } : {}),
        ...(params.openFiles ? { openFiles: params.openFiles } : {}),
        ...(params.recentFiles ? { recentFiles: params.recentFiles } : {}),
        ...(params.exclude ? { filesExclude: params.exclude } : {}),
        onProgress: (step, steps, stage) => onProgress(step, steps, stage),
        signal,
      });
      const context = repoContext(result);
      return {
        root: params.root,
        ...context,
        text: result.text,
        result: {
          files: result.stats.files,
          tokens: result.stats.tokens,
          baseTokens: result.stats.baseTokens,
          excluded: result.stats.excluded as Record<string, number>,
          ms: Math.round(result.stats.ms),
        },
      };
    },
  };
}
