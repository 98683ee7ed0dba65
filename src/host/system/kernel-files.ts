// Raw reads and writes of kernel setting files (/proc/sys, /sys): a setting this machine lacks reads as null.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

export function readRaw(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

export function writeValue(path: string, value: string): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, value);
  } finally {
    closeSync(fd);
  }
}
