// Jest reporter that records each workspace's totals in .cache/test-results/, so that
// tools/test.sh can end with one line summed over every workspace: "N passed, N failed".
// (Turbo runs each workspace's jest on its own; their summaries are scattered in the log.)
const fs = require('node:fs');
const path = require('node:path');

const RESULTS_DIR = path.join(__dirname, '..', '.cache', 'test-results');

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    let name = path.basename(this.rootDir);
    try {
      name = JSON.parse(fs.readFileSync(path.join(this.rootDir, 'package.json'), 'utf8')).name;
    } catch {
      // no package.json: the folder name will do
    }
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, `${name.replace(/[^a-z0-9-]+/gi, '_')}.json`);
    fs.writeFileSync(
      file,
      JSON.stringify({
        workspace: name,
        passed: results.numPassedTests,
        // A suite that fails to load or crashes has no failed tests, yet nothing in it ran.
        failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      }),
    );
  }
}

module.exports = SummaryReporter;
