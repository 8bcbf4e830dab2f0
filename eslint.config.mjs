// Lint rules for every workspace: typescript-eslint's recommended set, plus the few rules
// that catch real bugs in async server code — those that need types (a promise nobody
// awaits or handles, a promise where a callback's return is ignored, awaiting what is no
// promise) on the services', packages' and benchmarks' source and on every test, with the
// types of each workspace. Typed linting of the whole tree holds about 5 GB: the lint
// script gives Node the heap for it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/src/generated/**',
      '.cache/**',
      '**/dist/**',
      '**/.turbo/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': ['error', { allow: ['warn', 'error'] }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: [
      'packages/*/{src,test}/**/*.ts',
      'subgraphs/*/{src,test}/**/*.ts',
      'router/{src,test}/**/*.ts',
      'e2e/**/*.ts',
      'bench/src/**/*.ts',
    ],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        module: 'writable',
        require: 'readonly',
        __dirname: 'readonly',
        process: 'readonly',
      },
    },
  },
  {
    files: ['tools/**', 'bench/**', '**/test/**', '**/*.config.*', 'jest.preset.js'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests read GraphQL responses as loosely typed JSON, the way a client sees them.
    files: ['**/test/**', 'e2e/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
