// Lint, run by `npm test` (npm run lint). typescript-eslint's type-checked rules: a promise nobody awaits or
// catches, a promise passed where a callback's result is ignored, `any` leaking out of untrusted JSON. And the
// layering the architecture test also checks: src/core never imports the editor or the programs built on it.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Type information comes from TypeScript's project service, which builds a program per tsconfig (~9 s of CPU once a
// file changed), unless src/tools/check.mjs, which runs the type-check first, hands over the programs it checked (the
// same two tsconfigs, src/core's first). Either way the lint's cache (keyed by each file's config) sees one config:
// which of the two is used changes no result.
const PROGRAMS = Symbol.for('unmetered.lint.programs');
function typeInfo() {
  const programs = globalThis[PROGRAMS] ?? null;
  const options = { projectService: programs === null, programs, tsconfigRootDir: import.meta.dirname };
  Object.defineProperty(options, 'toJSON', {
    enumerable: true, // kept when ESLint merges this with a later block's parserOptions (the JS files' below)
    value() {
      // eslint-disable-next-line @typescript-eslint/no-unused-vars -- left out of the cache's key
      const { programs: handed, toJSON, ...rest } = this;
      return { ...rest, projectService: rest.projectService || Array.isArray(handed) };
    },
  });
  return options;
}

// node:test's describe/it return promises that the runner itself tracks: not floating.
const nodeTest = {
  from: 'package',
  package: 'node:test',
  name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', '.e2e/**', '.bench/**', 'test/**/fixtures/**', 'test/report/golden/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: typeInfo(),
    },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [nodeTest] }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
      // Matching control characters is the point of the sanitizers and of the tests of terminal output.
      'no-control-regex': 'off',
      // An async function that implements a Promise-returning interface need not await anything.
      '@typescript-eslint/require-await': 'off',
      // Prettier wraps code at 140 but leaves long strings, templates, regexes and comments as they are: this catches
      // those. A long message is split into concatenated pieces; only a URL may run past the limit.
      'max-len': ['error', { code: 160, ignoreUrls: true }],
    },
  },
  {
    files: ['src/core/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'src/core never imports vscode: take what you need as a parameter (a port).' }],
          patterns: [
            {
              group: ['**/extension/**', '**/cli/**', '**/extension', '**/cli'],
              message: 'src/core never imports src/extension or src/cli.',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests read fixtures, goldens and HTTP bodies as untyped JSON and assert on them: there `any` is the
    // point, not a leak. src/ gets no such pass: untrusted input is validated into types at the edge.
    files: ['test/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // Test servers answer in async 'request'/'end' handlers; a rejection there fails the run anyway.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
    },
  },
  {
    // A page script's result is typed where the test reads it (`page.evaluate(…) as Promise<T>`).
    files: ['test/e2e/**'],
    rules: { '@typescript-eslint/no-unnecessary-type-assertion': 'off' },
  },
  { files: ['media/**'], languageOptions: { globals: { ...globals.browser } } },
  { files: ['**/*.mjs', '**/*.cjs', '**/*.js'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.mjs', '**/*.cjs', '**/*.js'], languageOptions: { parserOptions: { programs: null } } },
  // CommonJS: require is how it imports.
  { files: ['**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
