// The reliability runner's jest configuration (scripts/reliability.sh): the scenarios in this folder, and
// the lead's hostile-input tests (test/integration/*hostile*.test.ts) when they exist, so one run fills
// one table. The root jest.config.js stays the configuration of `npm test`.
const path = require('node:path');

const root = require('../../jest.config.js');
const template = root.projects.find((p) => p.displayName === 'integration');

/** @type {import('jest').Config} */
module.exports = {
  ...root,
  rootDir: path.join(__dirname, '..', '..'),
  projects: [
    { ...template, displayName: 'reliability', testMatch: ['<rootDir>/test/reliability/**/*.test.ts'] },
    { ...template, displayName: 'hostile', testMatch: ['<rootDir>/test/integration/*hostile*.test.ts'] },
  ],
};
