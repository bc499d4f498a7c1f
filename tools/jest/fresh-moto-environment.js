'use strict';
// jest test environment of the app: every integration test file (*.int.spec.ts) gets a moto_server
// of its own, started before the file loads and stopped after it (MOTO_ENDPOINT in the file's
// process.env). moto keeps every instance it ever launched, terminated ones included, and its
// filtered DescribeInstances walks them all: on one server shared by a whole run, a
// tag-filtered DescribeInstances took 31 s at 2,000 instances, so a late file's calls timed out
// for what earlier files left behind. A fresh server per file (about 2 s to start) makes every
// file's speed independent of the order jest picks.
const { TestEnvironment } = require('jest-environment-node');
const { startMotoServer } = require('../moto/moto-server');

class FreshMotoEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.wantsMoto = /\.int\.spec\.ts$/.test(context.testPath);
    this.moto = undefined;
  }

  async setup() {
    await super.setup();
    if (!this.wantsMoto) return;
    this.moto = await startMotoServer();
    this.global.process.env.MOTO_ENDPOINT = this.moto.endpoint;
  }

  async teardown() {
    await this.moto?.stop();
    await super.teardown();
  }
}

module.exports = FreshMotoEnvironment;
