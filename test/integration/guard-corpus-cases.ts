// The guard's corpus: each command with the verdict it must get while the chroot's binds are live
// and after they are gone (null: not judged in that phase, its outcome depends on other processes).
export interface Expect {
  cmd: string;
  cwd?: string;
  live: 'allow' | 'deny' | null;
  gone: 'allow' | 'deny' | null;
  /** A command of the request's own "robust unmounting" block (or a rewrite of it). */
  block?: boolean;
}

export function corpus(p: { S: string; R: string; C: string }): Expect[] {
  const { S, R, C } = p;
  const blockCase = (cmd: string, cwd?: string): Expect => ({
    cmd,
    live: 'deny',
    gone: 'allow',
    block: true,
    ...(cwd ? { cwd } : {}),
  });
  const always = (cmd: string, cwd?: string): Expect => ({ cmd, live: 'deny', gone: 'deny', ...(cwd ? { cwd } : {}) });
  const harmless = (cmd: string, cwd?: string): Expect => ({
    cmd,
    live: 'allow',
    gone: 'allow',
    ...(cwd ? { cwd } : {}),
  });
  const liveOnly = (cmd: string, cwd?: string): Expect => ({
    cmd,
    live: 'deny',
    gone: 'allow',
    ...(cwd ? { cwd } : {}),
  });
  return [
    // The request's block, line by line and whole.
    blockCase(`umount -lf ${C}/proc || true`),
    blockCase(`fuser -k ${C} || true`),
    blockCase(`umount -R ${C} || true`),
    blockCase(`rm -rf ${R}`),
    blockCase(`umount -lf ${C}/proc || true\nfuser -k ${C} || true\numount -R ${C} || true\nrm -rf ${R}`),
    // The same, written the ways agents write it.
    blockCase(`sudo rm -rf ${R}`),
    blockCase(`cd ${S} && rm -rf ailinux`),
    blockCase(`cd ${R}; rm -rf chroot/`),
    blockCase(`rm -rf "${R}"`),
    blockCase(`rm -rf '${C}'`),
    blockCase(`rm -r -f -- ${C}`),
    blockCase(`rm --recursive --force ${R}`),
    blockCase(`env LC_ALL=C rm -rf ${R}`),
    blockCase(`sudo -E env X=1 nice -n 10 rm -rf ${R}`),
    blockCase(`bash -c "rm -rf ${R}"`),
    blockCase(`sh -c 'cd ${R} && rm -rf chroot'`),
    blockCase(`sudo bash -c 'umount -l ${C}/dev || true'`),
    blockCase(`(cd ${R} && rm -rf *)`),
    blockCase(`rm -rf ${R}/*`),
    blockCase(`rm -rf ${R}/ch*`),
    blockCase(`echo done $(rm -rf ${C})`),
    blockCase(`find ${R} -delete`),
    blockCase(`find ${R} -mindepth 1 -exec rm -rf {} +`),
    blockCase(`find ${R} -maxdepth 1 | xargs rm -rf`),
    blockCase(`ls -d ${C} | xargs rm -rf`),
    blockCase(`true && rm -rf ${C}`),
    blockCase(`false || rm -rf ${C}`),
    blockCase(`rm -rf ./chroot`, R),
    blockCase(`rm -rf ../chroot`, `${C}/..//chroot`),
    blockCase(`umount -l ${C}/dev`),
    blockCase(`umount --lazy ${C}/sys`),
    blockCase(`umount -R ${C}/dev`),
    blockCase(`sudo umount -Rl ${C} 2>/dev/null; sudo rm -rf ${R}`),
    blockCase(`for d in proc sys dev; do umount -lf ${C}/$d; done; rm -rf ${R}`),
    blockCase(`fuser -k ${C}/dev/null`),
    blockCase(`mksquashfs ${C} ${S}/fs.squashfs -comp zstd`),
    blockCase(`cd ${R} && mksquashfs chroot out.squashfs -noappend`),
    blockCase(`X=${C}; umount -R $X; rm -rf "$X"`),
    blockCase(`export B=${R}; rm -rf "$B"/chroot`),
    blockCase(`rm -rf ${R}/{chroot,iso}`),
    liveOnly(`rm -rf ${C}/dev/null`),
    liveOnly(`rm -f ${C}/dev/null`),
    liveOnly(`chroot ${C} /bin/true`),
    liveOnly(`sudo chroot ${C} apt-get update`),
    // Signals by name: the daemon in the chroot and an outsider share the name.
    { cmd: 'pkill sleep', live: 'deny', gone: null },
    { cmd: 'killall sleep', live: 'deny', gone: null },
    { cmd: 'pkill -f "sleep 100"', live: 'deny', gone: null },
    // Always refused, whatever is mounted.
    always('kill -9 -1'),
    always('umount -a'),
    always('rm -rf /'),
    always('rm -rf ~'),
    always('rm -rf "$HOME"'),
    always('sudo rm -rf /usr'),
    always(`rm -rf --no-preserve-root /`),
    always('fuser -km /'),
    always('D=/etc; cd $D && rm -rf *'),
    always('rm -rf /{usr,tmp}'),
    always('sudo rm -rf /var/lib/dpkg'),
    always(`fuser -km ${C}/dev`),
    always('umount -lf /proc'),
    always(`mount --bind ${S}/src ${S}/shared/x`),
    always(`mount --rbind /sys ${S}/shared/sys`),
    always(`mount -o bind ${S}/src ${S}/shared/x`),
    // Harmless, with or without the chroot.
    harmless(`ls -la ${R}`),
    harmless(`rm -rf ${S}/clean/build`),
    harmless(`cd ${S}/clean && rm -rf build/`),
    harmless('rm -rf build/', `${S}/proj`),
    harmless(`umount ${S}/leaf`),
    harmless(`mount --bind ${S}/src ${S}/shared/x && mount --make-rslave ${S}/shared/x`),
    harmless(`mount --make-rslave --rbind /sys ${S}/shared/sys`),
    harmless(`find ${S}/clean -name '*.o' -delete`),
    harmless(`find ${R} -name foo`),
    harmless(`echo rm -rf ${R}`),
    harmless(`grep -r "rm -rf ${R}" ${S}/clean`),
    harmless('git status && npm run build'),
    harmless('kill 123456'),
    harmless('pkill -x no-such-process-xyz'),
    harmless(`mksquashfs ${S}/clean/build ${S}/out.sqfs`),
    harmless(`chroot ${S}/plainroot /bin/true`),
    harmless(`umount ${S}/notmounted`),
    harmless(`rm -f ${S}/clean/file.txt`),
    harmless(`rm -rf "$UNKNOWN_VAR"/x`),
    harmless(`rm -rf "unterminated`),
    harmless(`cat <<EOF\nrm -rf ${R}\nEOF`),
    harmless(`# rm -rf ${R}`),
    harmless(`printf '%s\\n' 'rm -rf ${R}'`),
    harmless(`sudo -u nobody ls ${R}`),
    harmless(`timeout 5 find ${S}/clean -type f -delete`),
    harmless('xargs rm -f < /dev/null'),
    harmless(`B=${S}/clean; rm -rf "$B"/build`),
    harmless(`rm -rf ${S}/clean/{build,nothing}`),
  ];
}
