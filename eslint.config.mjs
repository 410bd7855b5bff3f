import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**', 'native/**', 'media/**', '.cache/**', 'out/**'] },
  ...tseslint.configs.recommended,
  {
    // The `scout` launcher is plain CommonJS that loads the bundle.
    files: ['bin/**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // The protocol follows the language server protocol's style: one namespace per method holding its
    // name and typed RequestType, so both sides refer to `P.Chat.type` and never to a bare string.
    files: ['src/engine/protocol.ts'],
    rules: { '@typescript-eslint/no-namespace': 'off' },
  },
  {
    // The engine side never imports vscode (architecture.md): it runs in the sidecar and the CLI.
    files: ['src/engine/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: ['vscode'] }] },
  },
);
