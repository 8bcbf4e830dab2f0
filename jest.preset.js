// Shared jest settings for every workspace: TypeScript through SWC (no type checking at
// test time; `npm run typecheck` does that), workspace packages mapped to their sources.
const path = require('node:path');

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } },
    ],
  },
  moduleNameMapper: {
    '^@shop/([a-z-]+)$': path.join(__dirname, 'packages/$1/src'),
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 30000,
  reporters: ['default', path.join(__dirname, 'tools/jest-summary-reporter.js')],
};
