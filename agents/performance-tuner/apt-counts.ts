// What one build used of the apt cache and fetched for it, counted across its detaches. A detach
// that cannot end the session (its overlay is still mounted) counts what it sees then: the
// downloads it staged and the chroot's dpkg status. The ending detach adds what it sees to that, so
// neither the staged downloads (published by it after it compared the cache) nor the hits (the
// chroot may be deleted by then) are lost, and none is counted twice.
export interface Named {
  name: string;
  size: number;
}

export interface AptCounts {
  /** Packages the chroot installed whose .deb the cache held at the attach. */
  hits: Named[];
  /** Packages the build downloaded. */
  misses: Named[];
  /** A detach read the chroot's dpkg status: the hits are known. */
  hitsSeen: boolean;
}

function union(a: readonly Named[], b: readonly Named[]): Named[] {
  const out = new Map(a.map((f) => [f.name, f]));
  for (const f of b) if (!out.has(f.name)) out.set(f.name, f);
  return [...out.values()];
}

/** What earlier detaches of the session counted (null: none) with what this one sees. */
export function addCounts(earlier: AptCounts | null, now: AptCounts): AptCounts {
  if (!earlier) return now;
  return {
    hits: union(earlier.hits, now.hits),
    misses: union(earlier.misses, now.misses),
    hitsSeen: earlier.hitsSeen || now.hitsSeen,
  };
}
