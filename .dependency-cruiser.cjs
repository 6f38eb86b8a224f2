// The layers of Nightshift's library, enforced in `npm run lint`: a module of shared/ imports only modules listed
// before it here (or itself). Applications (cli/, functions/, infra/, bin/, bench/) sit on top; nothing in shared/
// imports them. README's architecture diagram is generated from the same list (`npm run docs`).
const LAYERS = [
  ['utilities', ['time', 'privacy', 'formula', 'anomaly', 'observability']],
  ['config', ['config']],
  ['ports and adapters', ['store', 'archive', 'queue', 'mailer', 'inspection', 'local', 'secrets']],
  ['domain', ['events', 'jobs', 'kpi', 'incidents', 'detection', 'checks', 'watchdog', 'reporting']],
  ['rendering', ['email']],
  ['delivery', ['delivery']],
];
const ORDER = LAYERS.flatMap(([, modules]) => modules);

const upward = ORDER.map((module, i) => ({
  name: `layers-${module}`,
  comment: `shared/${module} may import only the modules below it: ${ORDER.slice(0, i).join(', ') || 'none'}`,
  severity: 'error',
  from: { path: `^shared/${module}/` },
  to: { path: `^shared/(${ORDER.slice(i + 1).join('|') || '$^'})/` },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'a cycle of imports: one of them should be an injected dependency',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'known-modules-only',
      comment: 'every folder of shared/ has its place in the layers (.dependency-cruiser.cjs)',
      severity: 'error',
      from: { path: '^shared/', pathNot: `^shared/(${ORDER.join('|')})/` },
      to: {},
    },
    {
      name: 'library-below-applications',
      comment: 'shared/ is the library: it never imports an application (cli, functions, infra, bench, test)',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(cli|functions|infra|bench|test|bin)/' },
    },
    {
      name: 'functions-not-cli',
      comment: 'the Lambda functions never bundle the CLI or its demo data',
      severity: 'error',
      from: { path: '^(functions|infra)/' },
      to: { path: '^cli/' },
    },
    ...upward,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|cdk\\.out|\\.tools|test-output|bench-output)' },
    tsPreCompilationDeps: false,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js'],
    },
    combinedDependencies: true,
    parser: 'swc',
  },
};
// For the README's diagram (not part of dependency-cruiser's configuration, which refuses unknown keys).
Object.defineProperty(module.exports, 'LAYERS', { value: LAYERS, enumerable: false });
