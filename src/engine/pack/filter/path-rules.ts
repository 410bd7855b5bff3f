/**
 * Filter by path and size, before any content is read: lock files, vendored folders, generated
 * outputs, files that commonly hold credentials, and files too large to be worth a context.
 */
import type { ExcludeReason, RepoFile } from '../types.js';

export interface PathRuleOptions {
  /** Files larger than this many bytes are left out (a 100 MB log would swamp any budget). */
  maxFileBytes: number;
}

export const DEFAULT_MAX_FILE_BYTES = 1 << 20;

const LOCK_FILES = new Set([
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lockb',
  'bun.lock',
  'Cargo.lock',
  'Gemfile.lock',
  'poetry.lock',
  'Pipfile.lock',
  'uv.lock',
  'composer.lock',
  'go.sum',
  'mix.lock',
  'flake.lock',
  'packages.lock.json',
  'Podfile.lock',
  'pubspec.lock',
  'gradle.lockfile',
]);

/** Folders whose content is third-party code copied into the repository. */
const VENDORED_DIRS = new Set([
  'node_modules',
  'vendor',
  'third_party',
  'third-party',
  'bower_components',
  'Pods',
  '.yarn',
]);

/** Folders that hold build outputs rather than sources. */
const GENERATED_DIRS = new Set([
  'dist',
  'build',
  'out',
  '.next',
  '.nuxt',
  'target',
  'coverage',
  '__pycache__',
  '.gradle',
]);
const GENERATED_SUFFIXES = [
  '.min.js',
  '.min.css',
  '.map',
  '.pb.go',
  '_pb2.py',
  '.g.dart',
  '.designer.cs',
  '.generated.ts',
];

/**
 * Names that usually carry credentials. `.env.example`-style templates are kept: they document
 * variables without values and are useful context.
 */
const SECRET_NAMES = new Set([
  '.env',
  '.netrc',
  '.npmrc',
  '.pypirc',
  '.pgpass',
  '.htpasswd',
  'id_rsa',
  'id_dsa',
  'id_ecdsa',
  'id_ed25519',
  'credentials',
  'credentials.json',
  'client_secret.json',
  'service-account.json',
  '.git-credentials',
  '.dockercfg',
  'secrets.yml',
  'secrets.yaml',
  'master.key',
]);
const SECRET_EXTENSIONS = new Set([
  '.pem',
  '.key',
  '.p12',
  '.pfx',
  '.jks',
  '.keystore',
  '.kdbx',
  '.ppk',
  '.asc',
  '.gpg',
]);
/** Folders of cloud and shell tools' credentials (as found in dotfiles repositories). */
const CREDENTIAL_DIRS = ['.aws/', '.ssh/', '.config/gcloud/', '.azure/', '.gnupg/'];
/** Tool configuration files that embed tokens or keys. */
const CREDENTIAL_FILES = [
  '.docker/config.json',
  '.kube/config',
  '.config/gh/hosts.yml',
  '.netrc',
  '.npmrc',
  '.pypirc',
];

const ENV_TEMPLATE = /^\.env\.(example|sample|template|dist|defaults)$/;

export function pathRuleFor(
  file: RepoFile,
  opts: PathRuleOptions,
): { reason: ExcludeReason; detail?: string } | undefined {
  const path = file.path;
  const slash = path.lastIndexOf('/');
  const name = path.slice(slash + 1);
  const lower = name.toLowerCase();
  const dot = lower.lastIndexOf('.');
  const ext = dot > 0 ? lower.slice(dot) : '';

  if (
    SECRET_NAMES.has(lower) ||
    (lower.startsWith('.env.') && !ENV_TEMPLATE.test(lower)) ||
    SECRET_EXTENSIONS.has(ext)
  )
    return { reason: 'secret-path', detail: `files named like '${name}' usually hold credentials` };
  if (CREDENTIAL_DIRS.some((d) => path.startsWith(d) || path.includes(`/${d}`)))
    return { reason: 'secret-path', detail: 'credential folder' };
  if (CREDENTIAL_FILES.some((f) => path === f || path.endsWith(`/${f}`)) || lower === 'kubeconfig')
    return { reason: 'secret-path', detail: 'a tool configuration file that holds credentials' };
  if (LOCK_FILES.has(name)) return { reason: 'lock-file' };

  const dirs = slash < 0 ? [] : path.slice(0, slash).split('/');
  if (dirs.some((d) => VENDORED_DIRS.has(d))) return { reason: 'vendored' };
  if (dirs.some((d) => GENERATED_DIRS.has(d)) || GENERATED_SUFFIXES.some((s) => lower.endsWith(s)))
    return { reason: 'generated' };
  if (file.size > opts.maxFileBytes)
    return { reason: 'too-large', detail: `${file.size} bytes > ${opts.maxFileBytes}` };
  return undefined;
}
