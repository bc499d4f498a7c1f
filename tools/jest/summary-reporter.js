// Writes each jest run's counts to $JEST_SUMMARY_DIR/<project>.json, for tools/test.sh's
// closing line ("N passed, N failed") over all projects.
const fs = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  constructor(globalConfig) {
    this.globalConfig = globalConfig;
  }
  onRunComplete(_contexts, results) {
    const dir = process.env.JEST_SUMMARY_DIR;
    if (!dir) return;
    const name = path.basename(this.globalConfig.rootDir) + '-' + process.pid;
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, `${name}.json`),
      JSON.stringify({
        project: this.globalConfig.rootDir,
        passed: results.numPassedTests,
        failed: results.numFailedTests,
        skipped: results.numPendingTests + results.numTodoTests,
        suitesFailed: results.numFailedTestSuites,
        runtimeErrors: results.numRuntimeErrorTestSuites,
      }),
    );
  }
}
module.exports = SummaryReporter;
