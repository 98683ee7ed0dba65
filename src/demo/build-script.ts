// The demo's build: a real chroot build as distro scripts do it (pseudo file systems, the host's
// /dev bound in, a daemon started inside), a real mksquashfs with the tuner's settings, an ISO when
// xorriso is there — and then a hard crash that leaves everything mounted and running.
export function demoBuildScript(): string {
  return `#!/bin/bash
# isoswarm demo build. Arguments: CHROOT OUTDIR
set -euo pipefail
C="$1"; OUT="$2"
echo "build: mounting proc, sysfs, /dev, devpts, /run and /usr into $C"
mkdir -p "$C"/{proc,sys,dev,run,usr,tmp,etc} "$OUT"
ln -sfn usr/bin "$C/bin"; ln -sfn usr/lib "$C/lib"; ln -sfn usr/lib64 "$C/lib64"; ln -sfn usr/sbin "$C/sbin"
mount -t proc proc "$C/proc"
mount -t sysfs sysfs "$C/sys"
mount --bind /dev "$C/dev"
# A slave: mounts made under the chroot's /dev (devpts below) never propagate to the host's /dev.
mount --make-rslave "$C/dev"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$C/dev/pts"
mount -t tmpfs -o size=16m tmpfs "$C/run"
mount --bind /usr "$C/usr"
mount -o remount,bind,ro "$C/usr"
echo "build: starting a daemon inside the chroot (as package post-install scripts do)"
setsid chroot "$C" /usr/bin/bash -c 'exec -a isoswarm-demo-daemon /usr/bin/sleep 3600' </dev/null >/dev/null 2>&1 &
sleep 0.2
echo "build: mksquashfs with MKSQUASHFS_OPTS=\${MKSQUASHFS_OPTS:-<mksquashfs default>}"
start=$(date +%s%N)
# shellcheck disable=SC2086
mksquashfs "$C" "$OUT/filesystem.squashfs" -noappend -no-progress -e proc sys dev run usr \${MKSQUASHFS_OPTS:-} >/dev/null
echo "build: squashfs $(stat -c %s "$OUT/filesystem.squashfs") bytes in $(( ($(date +%s%N) - start) / 1000000 )) ms"
echo "$(( ($(date +%s%N) - start) / 1000000 )) $(stat -c %s "$OUT/filesystem.squashfs")" > "$OUT/squashfs.measure"
if command -v xorriso >/dev/null; then
  mkdir -p "$OUT/iso/live" "$OUT/iso/boot"
  ln -f "$OUT/filesystem.squashfs" "$OUT/iso/live/filesystem.squashfs" 2>/dev/null || cp "$OUT/filesystem.squashfs" "$OUT/iso/live/"
  echo "isoswarm demo image" > "$OUT/iso/boot/README"
  xorriso -as mkisofs -quiet -V ISOSWARM_DEMO -J -R -o "$OUT/demo.iso" "$OUT/iso" 2>/dev/null
  echo "build: ISO $(stat -c %s "$OUT/demo.iso") bytes"
fi
echo "build: crashing on purpose (kill -9 of the build), everything still mounted"
kill -9 $$
`;
}
