// ESLint (typescript-eslint, Nx's module boundaries on the projects' tags) and Prettier's
// compatibility preset; `npm run lint` runs it with `prettier --check`, and so does the test command.
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', 'docs/api/**', 'tmp/**', 'release/**', '.nx/**', 'coverage/**', '.demo/**'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          // The shared test infrastructure outside the projects (moto launcher and proxies, the HF stand-in, jest preset).
          allow: ['^(\\.\\./)+tools/(moto|hf|jest|testing|proxy|prometheus)/', '^(\\.\\./)+jest\\.preset\\.js$'],
          // The app imports some packages statically and loads others on first use (the bundle's lazy chunks).
          checkDynamicDependenciesExceptions: [
            '@open-hostfactory/aws-ec2',
            '@open-hostfactory/aws-asg',
            '@open-hostfactory/aws-common',
            '@open-hostfactory/storage-dynamodb',
            '@open-hostfactory/core',
          ],
          depConstraints: [
            // core depends on nothing of ours; aws-common on core; adapters on core and aws-common, never each other.
            { sourceTag: 'scope:core', onlyDependOnLibsWithTags: ['scope:core'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:core'] },
            { sourceTag: 'scope:adapter', onlyDependOnLibsWithTags: ['scope:core', 'scope:shared'] },
            { sourceTag: 'scope:app', onlyDependOnLibsWithTags: ['scope:core', 'scope:shared', 'scope:adapter'] },
            { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['scope:core', 'scope:shared', 'scope:adapter', 'scope:app'] },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: {
      // A leading underscore marks what is dropped on purpose (`const { ClientToken: _token, ...rest } = input`).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // The rest of docs/architecture.md's dependency rules, everywhere.
    files: ['packages/**/*.ts', 'apps/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportAllDeclaration', message: 'Re-export names explicitly (no `export *`): each package exports what others use.' },
        {
          selector: 'ImportExpression[source.value=/^@aws-sdk\\u002Fclient-(?!sts$)/]',
          message:
            "No dynamic import of an AWS SDK client's index (it defeats tree shaking: all of EC2's commands, +27 MB a call); import it statically in the adapter, which the app loads lazily.",
        },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^@open-hostfactory/[^/]+/(?!testing$)', message: "No deep imports: use the package's entry point (or its /testing)." },
          ],
        },
      ],
    },
  },
  {
    // Core: the domain, its ports and use cases; no cloud SDK, no database, no container, no files.
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(@aws-sdk|@smithy)/', message: 'No AWS SDK in core.' },
            { regex: '^better-sqlite3$', message: 'No database driver in core.' },
            { regex: '^(inversify|@inversifyjs/)', message: 'No inversify in core.' },
            { regex: '^(node:)?fs(/|$)', message: 'No file system in core.' },
            { regex: '^@open-hostfactory/', message: 'Core depends on nothing of ours.' },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportAllDeclaration', message: 'Re-export names explicitly (no `export *`).' },
        {
          selector:
            'ImportExpression[source.value=/^(@aws-sdk|@smithy|better-sqlite3|inversify|@inversifyjs|@open-hostfactory)|^(node:)?fs(\\u002F|$)/]',
          message: 'Core loads no SDK, driver, container, file system or package of ours, not even lazily.',
        },
        {
          selector:
            "CallExpression[callee.name='require'][arguments.0.value=/^(@aws-sdk|@smithy|better-sqlite3|inversify|@inversifyjs|@open-hostfactory)|^(node:)?fs(\\u002F|$)/]",
          message: 'Core requires no SDK, driver, container, file system or package of ours.',
        },
      ],
    },
  },
  {
    // Tests, test helpers and tools: assertions on what a test just made, stubs and loosely typed fixtures are fine.
    files: ['**/*.spec.ts', '**/test/**', '**/testing/**', 'tools/**', '**/jest.config.js', 'jest.preset.js'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-empty-function': 'off',
    },
  },
  prettier,
];
