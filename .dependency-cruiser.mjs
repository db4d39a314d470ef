// The layers of src/ and the direction imports may go, checked by `npm run lint` (depcruise).
// From the bottom: domain (pure rules and types) ← codec, config ← store ← app ← pipeline, http ←
// runtime (composition root) ← cli. A layer imports only layers below it; the modules directly in
// src/ (logging, package-root, url-credentials, with-timeout) are leaf utilities the layers above the
// domain may use (codec and config only the few they need). Type-only imports count too:
// a type cycle or a domain type imported from above is the same knot in the design.

/** A rule forbidding `from` to import anything under `src/` except what `allowed` matches. */
const onlyImports = (name, from, allowed, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from },
  to: { path: '^src/', pathNot: allowed },
});

/** A rule forbidding `from` to import what `forbidden` matches. */
const mustNotImport = (name, from, forbidden, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from },
  to: { path: forbidden },
});

export default {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle: move the shared part into a module both can import.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import the checker cannot resolve would hide a layer violation.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    onlyImports('domain-is-the-bottom', '^src/domain/', '^src/domain/', 'The domain is pure code over plain data: it imports nothing of the project outside src/domain.'),
    {
      name: 'domain-does-no-io',
      comment: 'The domain is pure: reading files, the network or the clock through Node belongs to config, store or runtime.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { dependencyTypes: ['core'] },
    },
    onlyImports('codec-over-domain', '^src/codec/', '^src/(domain|codec)/|^src/package-root[.]ts$', 'The codec turns XML into the domain model: it may import the domain only.'),
    onlyImports('config-over-domain', '^src/config/', '^src/(domain|codec|config)/|^src/(package-root|logging)[.]ts$', 'Configuration loads files into domain types: it may import the domain and the codec.'),
    mustNotImport('store-under-app', '^src/store/', '^src/(app|pipeline|http|runtime|cli)/', 'The store serves the layers above it and never calls them.'),
    mustNotImport('app-under-adapters', '^src/app/', '^src/(pipeline|http|runtime|cli)/', 'The application layer is driven by the HTTP routes and the workers, not the other way round.'),
    mustNotImport('adapters-under-runtime', '^src/(pipeline|http)/', '^src/(runtime|cli)/', 'Routes and workers are wired by the runtime; they do not reach back into it or the CLI.'),
    mustNotImport('runtime-under-cli', '^src/runtime/', '^src/cli/', 'The CLI starts the runtime; nothing but the CLI imports the CLI.'),
    onlyImports('utilities-are-leaves', '^src/[^/]+[.]ts$', '^src/[^/]+[.]ts$', 'The modules directly in src/ sit under every layer, so they import none of it.'),
    mustNotImport('nothing-imports-tests', '^(src|bench)/', '^test/', 'Product code and benchmarks never depend on the tests.'),
    mustNotImport('product-does-not-import-bench', '^src/', '^bench/', 'Product code never depends on the benchmarks.'),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    // Count `import type` as a dependency: see the top of this file.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
