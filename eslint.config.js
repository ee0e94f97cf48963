// Lint for the whole tree: `npm run lint` (part of `npm test`). Formatting is prettier's (`.prettierrc.json`);
// eslint-config-prettier, last, turns off every rule that would argue with it.
//
// Base: typescript-eslint's recommendedTypeChecked (rules that read the types, through tsconfig.json).
// Added: the rules that catch defects a Node service like ours has had or could have. Each was run on
// the tree before being chosen; the ones below that are off or loosened flagged idioms, not bugs.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/** Entry points that talk to a terminal: a bench prints its figures, a CLI its answers. */
const CONSOLE_ALLOWED = ['bench/**', '**/cli.ts', 'dashboards/build.ts', 'docs/write-config-reference.ts'];
const TESTS = ['**/*.test.ts', 'test/**'];

export default defineConfig(
  { ignores: ['dist/', '.cache/', 'node_modules/', 'test-artifacts/', '.test-build-*/', 'data/', 'logs/', 'dashboards/json/', 'test/fixtures/'] },
  js.configs.recommended,
  {
    files: ['**/*.{js,mjs}'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        // docs/write-config-reference.ts is a script run by tsx and outside tsconfig.json's include.
        projectService: { allowDefaultProject: ['docs/write-config-reference.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // A promise nobody awaits loses its rejection (an unhandled rejection ends the process) and its
      // ordering; an async callback where a void one is expected (express, EventEmitter, setInterval) does the same.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // `return promise` inside try skips the catch and finally; `return await` there, nowhere else.
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // A switch over a union without `default` must name every member: a new kind or reason is then a
      // compile-time list of places to visit. A `default:` is an explicit decision and is left alone.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // Type-only imports never load a module at run time (the probes load their drivers lazily).
      // `typeof import('driver')` is how a lazily loaded driver is typed, so type annotations stay allowed.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      // `x || fallback` on a number or boolean treats 0 and false as missing (a timeout of 0, a `false`
      // option). On strings `||` is how empty means unset here (regex groups, env vars, labels), so strings are exempt.
      '@typescript-eslint/prefer-nullish-coalescing': ['error', { ignorePrimitives: { string: true }, ignoreTernaryTests: true }],
      '@typescript-eslint/use-unknown-in-catch-callback-variable': 'error',
      '@typescript-eslint/no-misused-spread': 'error',
      // The Grafana SDK marks its v1 dashboard types deprecated in favour of v2, but Grafana's file
      // provisioning (dashboards/provisioning) reads v1 JSON. Everything else deprecated is reported.
      '@typescript-eslint/no-deprecated': [
        'error',
        { allow: [{ from: 'package', package: '@grafana/grafana-foundation-sdk', name: ['Dashboard', 'DashboardBuilder'] }] },
      ],
      // An abort reason (`signal.reason`) is typed any and an error from a callback unknown: both are
      // rejected as they came. A literal or a plain object is still reported.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // `_name` marks a binding kept on purpose: rest-destructuring to drop a key, an express error handler's 4th parameter.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      eqeqeq: ['error', 'always'],
      'no-implicit-coercion': 'error',
      'prefer-const': 'error',
      // Services log through common/log.ts (JSON lines, redacted); console output would bypass both.
      'no-console': 'error',

      // Considered and left out, counted on the tree:
      // - require-await (in recommendedTypeChecked; 39): async functions that implement a promise-returning
      //   interface without awaiting (the WAL's methods, test doubles). no-floating-promises catches the real defect.
      // - no-unnecessary-condition (78): most are `x?.close()` in afterAll for a variable a failed beforeAll left
      //   unset, and `signal.aborted` read again after an await, which TypeScript believes still false.
      // - strict-boolean-expressions (270): `if (line.source)` on optional strings, meaning "set and not empty";
      //   on numbers only (50): `list.length ? … : …`, comparator chains `a - b || …`, bit flags; none a defect.
      // - no-confusing-void-expression (232), no-non-null-assertion (610), restrict-template-expressions with
      //   numbers (712), array-type, no-empty-function, no-shadow: style, or idioms of this code; no defect found.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: CONSOLE_ALLOWED,
    rules: { 'no-console': 'off' },
  },
  {
    // Tests may print why they skip (outside CI), and read parsed JSON/YAML documents and vitest's
    // asymmetric matchers (`expect.any(Number)`), which are typed any: 136 reports, none a defect.
    files: TESTS,
    rules: {
      'no-console': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  prettier,
);
