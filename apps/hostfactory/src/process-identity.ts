import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ProcessIdentity } from '@open-hostfactory/core';

/**
 * This process as a lease holder: `<host>:<pid>:<start>`, where start is the process's start time
 * in clock ticks since boot (Linux `/proc/<pid>/stat`), so that a reused pid is not taken for the
 * holder. A holder on another host may always be alive (its lease is waited out); one on this host
 * is alive while a process with its pid and start time exists.
 */
export function localProcessIdentity(): ProcessIdentity {
  const host = hostname();
  const self = `${host}:${process.pid}:${startTime(process.pid) ?? ''}`;
  return {
    self,
    mayBeAlive(holder: string): boolean {
      const match = /^(.*):(\d+):(\d*)$/.exec(holder);
      if (!match || match[1] !== host) return true;
      const pid = Number(match[2]);
      const start = startTime(pid);
      if (start !== undefined) return match[3] === '' || match[3] === start;
      return processExists(pid);
    },
  };
}

/** Field 22 of /proc/<pid>/stat (after the parenthesised command name), or undefined off Linux or when gone. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function processExists(pid: number): boolean {
  if (process.platform === 'linux') return false; // no /proc entry: the process is gone
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
