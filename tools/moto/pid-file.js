'use strict';
const os = require('node:os');
const path = require('node:path');

/** Where the jest global setup keeps the moto_server pid of this jest process. */
function pidFile() {
  return path.join(os.tmpdir(), `open-hostfactory-moto-${process.pid}.pid`);
}

module.exports = { pidFile };
