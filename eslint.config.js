// Lint: recommended rules plus the house rules in lint/house-rules.js: imports follow the layers
// (src/host imports only src/host; src never imports agents/ or hooks/; agents never import the run,
// the CLI or the coordinator) and recursive deletes go through src/host/delete/ only.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import house from './lint/house-rules.js';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts', 'agents/**/*.ts', 'hooks/**/*.ts'],
    plugins: { house },
    rules: { 'house/layers': 'error', 'house/no-recursive-rm': 'error' },
  },
  {
    // Static imports everywhere except where start-up is on a user's critical path: the CLI's command
    // dispatch (each command loads only what it runs), the hook and shim paths, and the swarm link
    // they share (it loads the NATS client only when a swarm is up).
    files: ['src/**/*.ts', 'agents/**/*.ts', 'hooks/**/*.ts'],
    ignores: [
      'src/cli/**',
      'src/claude/**',
      'src/hook-runtime/**',
      'src/shims/**',
      'src/runtime/swarm-link.ts',
      'src/runtime/swarm-connect.ts',
      'src/package-root.ts',
    ],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportExpression',
          message: 'Use a static import: lazy imports are for the CLI, hook and shim paths only',
        },
      ],
    },
  },
  {
    // The one safe deleter is the one place a tree is removed recursively.
    files: ['src/host/delete/**/*.ts'],
    rules: { 'house/no-recursive-rm': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // The dashboard page runs in the browser.
    files: ['src/dashboard/page/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
