// Lint rules for the whole project. TypeScript (src, test, bench) gets typescript-eslint's
// recommended type-aware set, with types from tsconfig.json through the project service; the plain
// JavaScript files (bin/, this file, the dependency-cruiser config) get the untyped rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', '.tmp/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
      // Off: Fastify plugins, hooks and handlers are async by contract (an async function tells
      // Fastify to wait for its promise instead of a done callback), and so are the interfaces our
      // health checks and test doubles implement; a body with nothing to await is normal there.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Off in tests: vitest types its asymmetric matchers (expect.any, expect.stringMatching,
      // expect.objectContaining, …) as `any`, and every `toMatchObject({ id: expect.any(String) })`
      // or `toThrow(expect.objectContaining(…))` would be reported.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['src/cli/**/*.ts', 'bench/**/*.ts', 'bin/**/*.js', 'test/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
