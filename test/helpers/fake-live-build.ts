// A small bash `lb` that behaves like live-build where isoswarm looks: live-build's stage lines
// (`[date] lb STAGE`), a bootstrap into ./chroot (proc mounted inside), cache/bootstrap and
// cache/packages.chroot filled and reused, the "installed" packages in the chroot's dpkg status, and
// binary_rootfs reading its config and squashfs knobs as live-build 1:20230502 does.
export const FAKE_LB = `#!/bin/bash
set -eu
st() { echo "[$(date +'%F %T')] lb $*"; }
if [ "$1" = binary_rootfs ]; then
  set +u
  st binary_rootfs
  # live-build 1:20230502's reading of its config (functions/conffile.sh) and of the squashfs
  # knobs (binary_rootfs); mksquashfs by its full path, as no PATH shim sees live-build's call.
  FILES="config/all config/common config/bootstrap config/chroot config/binary config/source"
  [ -n "\${LB_CONFIG:-}" ] && FILES="$LB_CONFIG"
  for f in $FILES; do [ -f "$f" ] && . "$f"; done
  MKSQUASHFS_OPTIONS="-no-progress \${MKSQUASHFS_OPTIONS:-}"
  if [ -n "\${LB_CHROOT_SQUASHFS_COMPRESSION_TYPE}" ]; then
    MKSQUASHFS_OPTIONS="-comp \${LB_CHROOT_SQUASHFS_COMPRESSION_TYPE} \${MKSQUASHFS_OPTIONS}"
  else
    MKSQUASHFS_OPTIONS="-comp xz \${MKSQUASHFS_OPTIONS}"
  fi
  if [ -n "\${LB_CHROOT_SQUASHFS_COMPRESSION_LEVEL}" ]; then
    MKSQUASHFS_OPTIONS="-Xcompression-level \${LB_CHROOT_SQUASHFS_COMPRESSION_LEVEL} \${MKSQUASHFS_OPTIONS}"
  fi
  mkdir -p binary/live
  rm -f binary/live/filesystem.squashfs
  echo "binary_rootfs: mksquashfs $MKSQUASHFS_OPTIONS"
  nice -n 17 /usr/bin/mksquashfs chroot/chroot binary/live/filesystem.squashfs -noappend $MKSQUASHFS_OPTIONS >/dev/null
  exit 0
fi
[ "$1" = build ] || { echo "only build and binary_rootfs" >&2; exit 2; }
st build
st bootstrap
st bootstrap_cache restore
if [ ! -d chroot ]; then
  if [ -d cache/bootstrap ]; then cp -a cache/bootstrap chroot; else
    st bootstrap_debootstrap
    mkdir -p chroot/proc chroot/etc chroot/var/lib/dpkg chroot/var/cache/apt/archives
    echo bookworm > chroot/etc/debian_version
    sleep 1
  fi
fi
st bootstrap_cache save
[ -d cache/bootstrap ] || { mkdir -p cache; cp -a chroot cache/bootstrap; }
st chroot
st chroot_install-packages install
mount -t proc proc chroot/proc
mkdir -p cache/packages.chroot
: > chroot/var/lib/dpkg/status
for p in alpha beta; do
  f=cache/packages.chroot/\${p}_1.0_amd64.deb
  [ -f "$f" ] || head -c 100000 /dev/urandom > "$f"
  printf 'Package: %s\\nStatus: install ok installed\\nVersion: 1.0\\n\\n' "$p" >> chroot/var/lib/dpkg/status
done
mkdir -p chroot/usr/share/doc
cp -a /usr/share/doc/[a-c]* chroot/usr/share/doc/
st binary
st binary_chroot
rm -rf chroot/chroot
mkdir -p chroot/chroot
cp -a chroot/etc chroot/var chroot/usr chroot/chroot/
lb binary_rootfs
echo "P: Build completed successfully"
`;
