// An apt proxy for a run (apt-cacher-ng on one farm host, port 3142): archives are fetched once per
// farm and served from the proxy's cache, instead of pushing gigabytes of .debs through the bus.
// apt, debootstrap and wget honour http_proxy, and a chroot's apt inherits it from the build's
// environment, so the variable is all a build needs. https sources go direct (apt-cacher-ng cannot
// cache them).

/** The build environment for `url`; a URL that is not http://host[:port][/] is an error naming it. */
export function aptProxyEnv(url: string): Record<string, string> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--apt-proxy ${url}: not a URL (expected http://host:3142)`);
  }
  if (u.protocol !== 'http:' || !u.hostname || (u.pathname !== '/' && u.pathname !== '') || u.search || u.hash)
    throw new Error(`--apt-proxy ${url}: expected http://host[:port] (apt-cacher-ng listens on 3142)`);
  const v = `http://${u.host}/`;
  return { http_proxy: v, HTTP_PROXY: v, ISOSWARM_APT_PROXY: v };
}
