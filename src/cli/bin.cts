#!/usr/bin/env node
// The `isoswarm` command. It loads one bundled file (CommonJS loads far faster than hundreds of ES
// modules): the lean hooks bundle for `isoswarm hooks`, the full CLI otherwise.
/* eslint-disable @typescript-eslint/no-require-imports */
const lean = process.argv[2] === 'hooks' || process.argv[2] === 'guard';
// `isoswarm memory list | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}
try {
  require(lean ? '../../cli/hooks.cjs' : '../../cli/isoswarm.cjs');
} catch (e) {
  if ((e as { code?: string }).code !== 'MODULE_NOT_FOUND') throw e;
  // Not bundled (a plain `tsc` build): the ES modules do the same, only slower to start.
  void import(lean ? './hooks-main.js' : './main.js');
}
