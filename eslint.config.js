// One linter: ESLint with neostandard (the Fastify organisation's shared style, formatting
// included) and typescript-eslint's type-aware recommended rules on top.
import neostandard from 'neostandard'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', '.tap/**', 'node_modules/**', 'sdk/**/*.d.ts', 'sdk/dist/**', 'test-artifacts/**', 'examples/**/vendor/**'] },
  ...neostandard({ ts: true, noJsx: true }),
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js'] }, tsconfigRootDir: import.meta.dirname }
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      eqeqeq: 'error',
      // `void promise` marks a deliberately unawaited promise, as no-floating-promises expects.
      'no-void': ['error', { allowAsStatement: true }],
      // Lines a reader can take in without scrolling; URLs and long strings are exempt.
      '@stylistic/max-len': ['error', { code: 180, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreComments: false }],
      // Fastify plugins and handlers are async by contract, with or without an await inside.
      '@typescript-eslint/require-await': 'off'
    }
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      'no-console': 'off',
      // tap's t.test() returns a promise that tap itself awaits.
      '@typescript-eslint/no-floating-promises': 'off'
    }
  },
  {
    files: ['eslint.config.js', '**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked
  }
)
