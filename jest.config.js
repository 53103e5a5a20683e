// Three projects, one per layer of the test pyramid. Integration and e2e tests talk to the real Kafka and
// PostgreSQL that scripts/infra.sh starts (KAFKA_BROKERS / DATABASE_URL), never to mocks.
// The kube tests require() @kubernetes/client-node, an ECMAScript-only package: Jest does that natively on
// Node 24 when node:vm has SourceTextModule, i.e. under --experimental-vm-modules, which .npmrc gives to
// `npx jest` and `npm test` alike (plain `node node_modules/.bin/jest` needs NODE_OPTIONS set by hand).
// Tests that use kafkajs directly would print its harmless negative-timer warning on Node 24: the filter the
// Kafka adapter installs must sit on the real process object, which jest's sandbox hides, so it goes here, in
// the process that runs the tests (maxWorkers: 1 runs them in band). Node 24 strips the .ts file's types.
require('./services/shared/src/kafka/negative-timeout-warning.ts').filterKafkajsNegativeTimeoutWarning();

const tsJest = ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json' }];
const moduleNameMapper = {
  '^@telemetry-pulse/shared/core$': '<rootDir>/services/shared/src/core',
  '^@telemetry-pulse/shared/tracing$': '<rootDir>/services/shared/src/tracing',
  '^@telemetry-pulse/(shared|simulator|processor|api|operator)$': '<rootDir>/services/$1/src',
};
const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': tsJest },
  moduleNameMapper,
  // .local/ holds data of tools, container image stores among them: package.json files of image layers would
  // collide with the workspaces in jest's module map, and vanish mid-crawl when a layer is unmounted.
  modulePathIgnorePatterns: ['<rootDir>/.local/'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
    },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
    // Delivery artefacts (images, compose, chart, kind, Tilt, Render) checked offline by real tools
    // (helm, kubeconform, buildifier from scripts/tools.sh); no Kafka or PostgreSQL needed.
    { ...common, displayName: 'delivery', testMatch: ['<rootDir>/test/delivery/**/*.test.ts'] },
    // Faults on a private broker and database (never the shared ones); npm test runs the short subset,
    // `npm run test:reliability` everything (RELIABILITY_FULL=1), see docs/reliability.md.
    {
      ...common,
      displayName: 'reliability',
      testMatch: ['<rootDir>/test/reliability/**/*.test.ts'],
    },
    // The operator and the Kubernetes API protocol against a real kube-apiserver and etcd (built through the
    // Go module proxy, scripts/kubernetes) and the real Kafka; `npm run test:operator` runs only these.
    { ...common, displayName: 'kube', testMatch: ['<rootDir>/test/kube/**/*.test.ts'] },
    // The Helm chart on a real single-node cluster (scripts/cluster.sh): only `npm run test:cluster`
    // (scripts/test-cluster.sh) sets TP_CLUSTER and runs it, after building the images and the cluster.
    // The chart with a real KEDA only under TP_KEDA (`npm run test:cluster:keda`): KEDA's cold build is ~20 min.
    ...(process.env.TP_CLUSTER
      ? [
          {
            ...common,
            displayName: 'cluster',
            testMatch: ['<rootDir>/test/cluster/**/*.test.ts'],
            testPathIgnorePatterns: process.env.TP_KEDA ? [] : ['<rootDir>/test/cluster/keda.test.ts'],
          },
        ]
      : []),
  ],
  // Integration suites share one broker and database; running them one at a time keeps timings honest on 2 cores.
  maxWorkers: 1,
  // Integration tests wait on real servers (bounded by their own waitFor deadlines); unit tests finish far sooner.
  testTimeout: 180_000,
};
