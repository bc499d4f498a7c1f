'use strict';
// Where a program is: the first executable `name` in PATH's directories, then in `extraDirs`.

const fs = require('node:fs');
const path = require('node:path');

/** Full path of the executable `name`, or undefined. */
function findExecutable(name, extraDirs = []) {
  for (const dir of (process.env.PATH || '').split(path.delimiter).concat(extraDirs)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

module.exports = { findExecutable };
