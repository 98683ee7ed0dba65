// `isoswarm run --apt-proxy URL`: the build (and so a chroot's apt and debootstrap) gets the proxy as
// http_proxy; a URL apt-cacher-ng cannot be is refused before anything starts.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.js';
import { cliSync, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';

describe('run --apt-proxy', () => {
  const home = scratchHome('apt-proxy');
  after(() => teardownHome(home));

  test("the build's http_proxy is the proxy", () => {
    const r = cliSync(
      testEnv(home),
      ['run', '--apt-proxy', 'http://127.0.0.1:3142', '--', 'sh', '-c', 'echo "proxy=$http_proxy"'],
      undefined,
      180_000,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^proxy=http:\/\/127\.0\.0\.1:3142\/$/m);
  });

  test('a URL that is not http://host[:port] is refused with exit 2', () => {
    for (const bad of ['ftp://x:3142', 'http://x:3142/debian', 'not a url']) {
      const r = cliSync(testEnv(home), ['run', '--apt-proxy', bad, '--', 'true']);
      assert.equal(r.code, EXIT.usage, `${bad}: ${r.stderr}`);
      assert.match(r.stderr, /--apt-proxy/);
    }
  });
});
