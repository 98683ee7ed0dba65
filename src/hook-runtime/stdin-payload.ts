// Reads a hook payload piped on stdin (Claude Code sends one JSON object), without ever hanging:
// a terminal is not read, and a pipe that stays open and silent is given up after a short wait.
export async function readStdinPayload(maxWaitMs = 1000): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) return '';
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stdin.removeAllListeners('data');
      stdin.pause();
      stdin.unref?.();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(finish, maxWaitMs);
    stdin.on('data', (c: Buffer) => chunks.push(c));
    stdin.once('end', finish);
    stdin.once('error', finish);
  });
}
