"""Disk images per board: `bazel build //rootfs:image_<board>`.

picket_image builds the board's init and daemons (the multi-call binary and the others) for the board's platform
and runs `imgtool build` (src/system/imagebuild) as one Bazel action: GPT disk with
an ESP (GRUB, kernel, initramfs, signed slot manifests), the squashfs rootfs
in slots A and B, and a data partition. The output is reproducible: the
same sources, version and key give the same bytes. The platform and its CA
come from the flags --//rootfs:platform and --//rootfs:platform_ca unless
the target sets the platform and platform_ca attributes (tests/product).
rootfs/products.bzl says what goes into each board's image.
"""

load("//platforms:boards.bzl", "BOARDS", "TRANSITION_KEYS", "board_settings")

# The transitions write the settings every transition of the project writes
# (platforms/boards.bzl): a board's binaries in an image are the same
# configuration, actions and cache entries as everywhere else. The image
# flags (release key, platform and its CA) are not reset here: setting them
# on the command line does not change the binaries' output directory or
# actions, so they are not rebuilt.
def _to_board_impl(_settings, attr):
    return board_settings(attr.board)

_to_board = transition(
    implementation = _to_board_impl,
    inputs = [],
    outputs = TRANSITION_KEYS,
)

PlatformInfo = provider(
    doc = "The platform an image is built for (a command-line flag).",
    fields = {"address": "host:port of the platform, or the path of its CA's PEM file"},
)

def _platform_setting_impl(ctx):
    return [PlatformInfo(address = ctx.build_setting_value)]

platform_setting = rule(
    implementation = _platform_setting_impl,
    build_setting = config.string(flag = True),
    doc = "--//rootfs:platform=HOST:PORT and --//rootfs:platform_ca=PEM: the platform the boxes of an image contact, and its CA, the only root they trust for it.",
)

PathInfo = provider(
    doc = "A file's path given on the command line.",
    fields = {"path": "the path, or empty for the development file tools/fetch makes"},
)

def _path_setting_impl(ctx):
    return [PathInfo(path = ctx.build_setting_value)]

path_setting = rule(
    implementation = _path_setting_impl,
    build_setting = config.string(flag = True),
    doc = "A file outside the build that images use, by path: --//rootfs:release_key=PATH (the release private key that signs them), --//rootfs:tuf_root=PATH (the update root metadata they trust); empty: the development one tools/fetch makes.",
)

def _exe(target):
    return target[DefaultInfo].files_to_run.executable

def _picket_image_impl(ctx):
    board = ctx.attr.board
    if board not in BOARDS:
        fail("board %r is not in platforms/boards.bzl BOARDS" % board)
    img = ctx.actions.declare_file(ctx.label.name + ".img")

    # What a release publishes for over-the-air updates: the slot's
    # squashfs and its signed manifest (output group "release").
    slot = ctx.actions.declare_file(ctx.label.name + ".rootfs.img")
    slot_manifest = ctx.actions.declare_file(ctx.label.name + ".rootfs.manifest")
    imgtool = _exe(ctx.attr._imgtool)
    kernel = ctx.file.kernel
    init = _exe(ctx.attr.initramfs_init[0])
    inputs = [ctx.info_file, imgtool, kernel, init, ctx.file._anchor] + ctx.files.kernel_files
    args = [
        "-board",
        board,
        "-kernel",
        kernel.path,
        "-initramfs-init",
        init.path,
    ]
    if ctx.attr.kernel_files:
        deps = [f for f in ctx.files.kernel_files if f.basename == "modules.dep"]
        if len(deps) != 1:
            fail("kernel_files must hold exactly one lib/modules/<version>/modules.dep")

        # <kernel dir>/lib/modules/<version>/modules.dep
        kdir = deps[0].dirname.rsplit("/", 3)[0]
        args += ["-kernel-modules", kdir]
        if ctx.attr.initramfs_modules:
            args += ["-initramfs-modules", ",".join(ctx.attr.initramfs_modules)]
        if ctx.attr.rootfs_modules:
            args += ["-rootfs-modules", ",".join(ctx.attr.rootfs_modules)]
    for target, name in ctx.attr.esp_files.items():
        f = target.files.to_list()
        if len(f) != 1:
            fail("esp_files: %s must be one file" % target.label)
        inputs.append(f[0])
        args += ["-esp-file", "%s=%s" % (name, f[0].path)]

    # Files unpacked by tools/fetch at their paths in the rootfs (Debian's
    # e2fsprogs and the libraries it loads): a file's path inside its
    # repository is its path in the rootfs.
    for t in ctx.attr.rootfs_trees:
        for f in t.files.to_list():
            parts = f.short_path.split("/")
            if parts[0] != "..":
                fail("rootfs_trees: %s is not a file of an external repository" % f.short_path)
            inputs.append(f)
            args += ["-rootfs-file", "%s=%s" % ("/".join(parts[2:]), f.path)]
    for t in ctx.attr.daemons:
        exe = _exe(t)
        inputs.append(exe)
        args += ["-rootfs-file", "usr/bin/%s=%s" % (t.label.name, exe.path)]

    # The multi-call binary, the rootfs's init among its programs: one
    # file at /sbin/init, hard links to it at the daemons' paths
    # (src/cmd/picketbox says why).
    programs = ctx.attr.multicall_programs
    if "init" not in programs:
        fail("multicall_programs: %s holds no init; the rootfs's /sbin/init is the multi-call binary's" % programs)
    exe = _exe(ctx.attr.multicall[0])
    inputs.append(exe)
    args += ["-rootfs-file", "sbin/init=" + exe.path]
    for p in programs:
        if p != "init":
            args += ["-rootfs-link", "usr/bin/%s=sbin/init" % p]

    # The init's configuration (src/system/pid1 BootConfig at /etc/picket/init.json).
    # Services run in the order of multicall_programs, then daemons; $PLATFORM, $PLATFORM_URL and
    # $PLATFORM_CA in their args are the platform the image is built for,
    # $UID_<daemon> a daemon's uid (users) and $DATA the service's own
    # directory on the data partition (/data/<its rights' data>).
    # Without a platform CA (--//rootfs:platform_ca) a service that needs
    # it is left out: the box then runs without a platform link.
    # The platform_ca attribute (a file of the build, such as a test's
    # throwaway CA) takes the place of the flag's path.
    platform = ctx.attr.platform or ctx.attr._platform[PlatformInfo].address
    ca = ctx.attr._platform_ca[PlatformInfo].address
    ca_file = ctx.file.platform_ca
    if ca_file:
        ca = ca_file.path
        inputs.append(ca_file)
    subst = {
        "$PLATFORM_URL": "https://" + platform,
        "$PLATFORM_CA": "/etc/picket/platform-ca.pem",
        "$PLATFORM": platform,
    }
    services = []
    uids = {}
    for user, uid_text in ctx.attr.users.items():
        uid = int(uid_text)
        if uid < 100 or uid in uids.values() or uid == ctx.attr.api_group:
            fail("users: %s has uid %d: each daemon's uid is its own, 100 or more, and not the API group's" % (user, uid))
        uids[user] = uid
    daemon_names = [p for p in programs if p != "init"] + [t.label.name for t in ctx.attr.daemons]
    for name in daemon_names:
        if len([n for n in daemon_names if n == name]) > 1:
            fail("daemon %s is both in multicall_programs and in daemons" % name)
        if name not in ctx.attr.services:
            continue
        if name not in ctx.attr.users or name not in ctx.attr.rights:
            fail("service %s has no user or rights: every daemon of an image runs under a user of its own (docs/privileges.md)" % name)
        rights = json.decode(ctx.attr.rights[name])
        user = {"uid": uids[name], "gid": uids[name], "groups": [ctx.attr.api_group]}
        for k in ["caps", "devices", "data", "migrate", "init"]:
            if k in rights:
                user[k] = rights[k]
        for k in rights:
            if k not in user:
                fail("rights of %s: unknown key %r" % (name, k))
        svc_args = []
        skip = False
        for a in ctx.attr.services[name]:
            if "$DATA" in a:
                if "data" not in rights:
                    fail("service %s: $DATA in its args, but no data directory in its rights" % name)
                a = a.replace("$DATA", "/data/" + rights["data"])

            # Longest name first: no user's name is another's prefix
            # then.
            for _, u in sorted([(-len(n), n) for n in uids]):
                a = a.replace("$UID_" + u, str(uids[u]))
            if "$UID_" in a:
                fail("service %s: arg %r names a user that is not in users" % (name, a))
            if "$PLATFORM_CA" in a and not ca:
                # Without a CA: the platform link daemon is left out; the
                # others lose the flag (the one before) and the value.
                skip = name == ctx.attr.platform_link_daemon
                svc_args = svc_args[:-1]
                continue
            for k in ["$PLATFORM_URL", "$PLATFORM_CA", "$PLATFORM"]:
                a = a.replace(k, subst[k])
            svc_args.append(a)
        if skip:
            # buildifier: disable=print
            print("image %s: no --//rootfs:platform_ca, so no %s (no platform link)" % (ctx.label.name, name))
            continue
        svc = {"name": name, "path": "/usr/bin/" + name, "user": user}
        if svc_args:
            svc["args"] = svc_args
        if name == ctx.attr.console_daemon:
            svc["console"] = ctx.attr.console
        if name in ctx.attr.stop_last:
            svc["stop_last"] = True
        if name in ctx.attr.nice:
            svc["nice"] = int(ctx.attr.nice[name])
        if name in ctx.attr.ready_sockets:
            svc["ready_socket"] = ctx.attr.ready_sockets[name]
        if name in ctx.attr.when_idle:
            svc["when_idle"] = True
        services.append(svc)

    # Once the image's services are known: an `after` naming a daemon the
    # image leaves out (no platform link) is dropped; one naming a daemon
    # that starts later, or that has no ready socket, is an error here
    # rather than at the box's boot.
    names = [svc["name"] for svc in services]
    for i, svc in enumerate(services):
        after = []
        for a in ctx.attr.start_after.get(svc["name"], []):
            if a not in ctx.attr.ready_sockets:
                fail("start_after: %s after %s, which has no ready socket" % (svc["name"], a))
            if a not in names:
                continue
            if names.index(a) >= i:
                fail("start_after: %s after %s, which is not a daemon before it" % (svc["name"], a))
            after.append(a)
        if after:
            svc["after"] = after
    init_json = ctx.actions.declare_file(ctx.label.name + ".init.json")
    boot_config = {
        "api_group": ctx.attr.api_group,
        "hostname": "picket-" + board,
        "services": services,
    }
    if ctx.attr.stable_seconds:
        boot_config["stable_seconds"] = ctx.attr.stable_seconds
    if ctx.attr.trial_seconds:
        boot_config["trial_seconds"] = ctx.attr.trial_seconds
    if ctx.attr.good_by:
        boot_config["good_by"] = ctx.attr.good_by
    if ctx.attr.trial_boots:
        boot_config["trial_boots"] = ctx.attr.trial_boots
    ctx.actions.write(init_json, json.encode(boot_config) + "\n")
    inputs.append(init_json)
    args += ["-rootfs-data", "etc/picket/init.json=" + init_json.path]

    # /etc/passwd and /etc/group name the daemons' users for whoever reads
    # the image (init uses the numbers of init.json). No password, no
    # shell: there is none in the image, and nothing logs in.
    passwd = ["root:x:0:0:root:/nonexistent:/nonexistent"]
    group = ["root:x:0:"]
    by_uid = [n for _, n in sorted([(uids[n], n) for n in uids])]
    for user in by_uid:
        passwd.append("%s:x:%d:%d:Picket %s:/nonexistent:/nonexistent" % (user, uids[user], uids[user], user))
    group.append("%s:x:%d:%s" % (ctx.attr.api_group_name, ctx.attr.api_group, ",".join(by_uid)))
    for user in by_uid:
        group.append("%s:x:%d:" % (user, uids[user]))
    for name, lines in [("passwd", passwd), ("group", group)]:
        f = ctx.actions.declare_file(ctx.label.name + "." + name)
        ctx.actions.write(f, "\n".join(lines) + "\n")
        inputs.append(f)
        args += ["-rootfs-data", "etc/%s=%s" % (name, f.path)]

    # The default signature database (/usr/share/picket/signatures.pkg):
    # imgtool compiles the source (a database that does not compile fails
    # the build), packs it with the version and date of its header and
    # signs it with the release key that signs the manifests, in the same
    # action (the key never enters the build's inputs).
    if ctx.file.signatures:
        inputs.append(ctx.file.signatures)
        args += ["-signatures", ctx.file.signatures.path]

    # The update framework's root metadata: the box's trust anchor for
    # over-the-air updates (/etc/picket/tuf/root.json). The tuf_root
    # attribute (a file of the build, such as a test's throwaway root)
    # takes the place of --//rootfs:tuf_root, whose default is the dev
    # root tools/fetch makes beside the dev release key.
    tuf_root = ctx.attr._tuf_root[PathInfo].path
    if ctx.file.tuf_root:
        inputs.append(ctx.file.tuf_root)
        tuf_root = ctx.file.tuf_root.path
    args += ["-slot-mib", str(ctx.attr.slot_mib), "-out", img.path, "-slot-out", slot.path, "-manifest-out", slot_manifest.path]

    # Inputs read from third_party/_fetched of the workspace (like the dev
    # key): GRUB's modules of a foreign platform, board firmware files.
    fetched = [ctx.attr.grub_dir]
    for name, path in sorted(ctx.attr.fetched_esp_files.items()):
        fetched.append("%s=%s" % (name, path))

    key = ctx.attr._release_key[PathInfo].path
    ctx.actions.run_shell(
        inputs = inputs,
        outputs = [img, slot, slot_manifest],
        command = """set -eu
key="$1"; shift; info="$1"; shift; imgtool="$1"; shift; anchor="$1"; shift; ca="$1"; shift
suffix="$1"; shift; tuf="$1"; shift; tuf_input="$1"; shift
ca_input="$1"; shift
grub="$1"; shift; nfetched="$1"; shift
# The workspace: anchor is a source file of this package, linked into the
# exec root.
ws=$(dirname "$(dirname "$(readlink -f "$anchor")")")
extra=""
need() {
  if [ ! -e "$ws/$1" ]; then
    echo "picket_image: $ws/$1 is missing: run tools/fetch (it unpacks the pinned Debian packages of third_party/inputs.lock there)" >&2
    exit 1
  fi
}
i=0
while [ "$i" -lt "$nfetched" ]; do
  spec="$1"; shift
  need "${spec#*=}"
  extra="$extra -esp-file ${spec%%=*}=$ws/${spec#*=}"
  i=$((i + 1))
done
if [ -n "$grub" ]; then need "$grub"; extra="$extra -grub-dir $ws/$grub"; fi
# shellcheck disable=SC2086 # extra holds whole flags; paths have no spaces
set -- $extra "$@"
if [ -n "$ca" ]; then
  # A flag's path is relative to the workspace, an input's to the exec
  # root (this directory).
  if [ "$ca_input" = 1 ]; then ca="$PWD/$ca"; fi
  case "$ca" in /*) ;; *) ca="$ws/$ca" ;; esac
  [ -f "$ca" ] || { echo "picket_image: --//rootfs:platform_ca=$ca: no such file" >&2; exit 1; }
  set -- "$@" -rootfs-data "etc/picket/platform-ca.pem=$ca"
fi
if [ "$tuf_input" = 1 ]; then
  tuf="$PWD/$tuf"
elif [ -z "$tuf" ]; then
  tuf="$ws/third_party/_fetched/keys/tuf/root.json"
  [ -f "$tuf" ] || { echo "picket_image: no update root at $tuf: tools/fetch makes the dev one, or build with --//rootfs:tuf_root=/path/to/root.json" >&2; exit 1; }
fi
case "$tuf" in /*) ;; *) tuf="$ws/$tuf" ;; esac
[ -f "$tuf" ] || { echo "picket_image: --//rootfs:tuf_root=$tuf: no such file" >&2; exit 1; }
set -- "$@" -rootfs-data "etc/picket/tuf/root.json=$tuf"
[ -n "$key" ] || key="$ws/third_party/_fetched/keys/release.key"
case "$key" in /*) ;; *) key="$ws/$key" ;; esac
if [ ! -f "$key" ]; then
  echo "picket_image: no release key at $key: create a dev key with" >&2
  echo "  imgtool keygen -out third_party/_fetched/keys   (git-ignored; never commit it)" >&2
  echo "or build with --//rootfs:release_key=/path/to/release.key" >&2
  exit 1
fi
version=$(sed -n 's/^STABLE_PICKET_VERSION //p' "$info")
[ -n "$version" ] || { echo "picket_image: no STABLE_PICKET_VERSION in $info (tools/workspace-status)" >&2; exit 1; }
version="$version$suffix"
exec "$imgtool" build -key "$key" -version "$version" "$@" >/dev/null
""",
        arguments = [key, ctx.info_file.path, imgtool.path, ctx.file._anchor.path, ca, ctx.attr.version_suffix, tuf_root, "1" if ctx.file.tuf_root else "0", "1" if ca_file else "0"] + fetched[:1] + [str(len(fetched) - 1)] + fetched[1:] + args,
        mnemonic = "PicketImage",
        progress_message = "Building disk image %s for board %s" % (img.short_path, board),
        # The key is read from outside the build (it must never be a
        # source file), and mkfs.vfat/mtools/mksquashfs/grub-mkimage come
        # from the host: run in the exec root, where the workspace's
        # third_party/ is linked.
        execution_requirements = {"no-sandbox": "1", "no-remote": "1", "no-cache": "1"},
    )
    return [
        DefaultInfo(files = depset([img])),
        OutputGroupInfo(release = depset([slot, slot_manifest])),
    ]

picket_image = rule(
    implementation = _picket_image_impl,
    doc = "A board's signed A/B disk image, <name>.img (see the file's doc).",
    attrs = {
        "board": attr.string(mandatory = True, doc = "board name from platforms/boards.bzl"),
        "daemons": attr.label_list(cfg = _to_board, doc = "daemons, installed as /usr/bin/<target name>"),
        "multicall": attr.label(cfg = _to_board, mandatory = True, doc = "the binary of the rootfs's init and the boot daemons, each run by the name it is called by (src/cmd/picketbox)"),
        "multicall_programs": attr.string_list(mandatory = True, doc = "the programs the multicall binary is installed as: init at /sbin/init (the file), the daemons at /usr/bin/<name> (hard links to it). Its daemons come first in the services' order, then those of daemons"),
        "initramfs_init": attr.label(cfg = _to_board, mandatory = True, doc = "PID 1 of the initramfs"),
        "initramfs_modules": attr.string_list(doc = "kernel modules the initramfs loads (names; imgtool adds their dependencies from modules.dep); default: the board's (platforms/board)"),
        "rootfs_modules": attr.string_list(doc = "kernel modules the init loads (names, as initramfs_modules); default: the board's"),
        "kernel_files": attr.label(doc = "the unpacked kernel package: lib/modules/<version>/modules.dep and the .ko files"),
        "rootfs_trees": attr.label_list(allow_files = True, doc = "files of external repositories (tools/fetch's unpacked packages, such as @e2fsprogs_amd64//:rootfs), each put in the rootfs at its path inside its repository"),
        "services": attr.string_list_dict(doc = "daemon name -> its args: the daemons the init runs, in the order of multicall_programs and daemons ($PLATFORM, $PLATFORM_URL, $PLATFORM_CA are substituted)"),
        "kernel": attr.label(allow_single_file = True, mandatory = True),
        "console_daemon": attr.string(default = "", doc = "a daemon to run on the console tty as its controlling terminal (stdin/stdout/stderr there, not logged); consoled opens the console itself and logs like the others"),
        "good_by": attr.string(default = "", values = ["", "updater"], doc = "who marks a slot on trial good (BootConfig good_by): \"\" the stable period alone, \"updater\" the stable period and updaterd's verdict once the slot reached the platform"),
        "platform_link_daemon": attr.string(default = "scannerd", doc = "the daemon left out when the image has no platform CA"),
        "console": attr.string(default = "/dev/ttyS0", doc = "the console tty for console_daemon"),
        "users": attr.string_dict(doc = "daemon -> its uid (a number, 100 or more), which is its gid too (docs/privileges.md); every service needs one"),
        "rights": attr.string_dict(doc = "daemon -> its rights as JSON (pid1 UserConfig without uid, gid, groups: caps, devices, data, migrate, init); every service needs them"),
        "api_group": attr.int(mandatory = True, doc = "gid of the group of /run/picket, every daemon's supplementary group (the local APIs' sockets are 0660)"),
        "api_group_name": attr.string(default = "picket", doc = "the API group's name in /etc/group"),
        "nice": attr.string_dict(default = {"consoled": "-5", "lcdd": "-5", "scannerd": "5", "updaterd": "5"}, doc = "daemon -> its nice value (init.json nice, -20 to 19): the panel daemons' screens and keys answer first while the others start or a scan runs; the network manager, whose answers the panels show, comes next; the scanner's and the updater's work (scans, downloads, slot writes) yields to them and takes the rest"),
        "ready_sockets": attr.string_dict(doc = "daemon -> the unix socket it answers on once ready (init.json ready_socket)"),
        "when_idle": attr.string_list(doc = "daemons that at boot, once those they start after are ready, start when the CPU has time to spare, one at a time (init.json when_idle): the batch work's, after the operator's menu and the network manager's first answers"),
        "start_after": attr.string_list_dict(doc = "daemon -> the daemons listed before it whose ready sockets it waits for at boot (init.json after; those not in the image are left out)"),
        "stop_last": attr.string_list(default = ["lcdd"], doc = "the panel daemons (init.json stop_last): on a power off init tells them first, stops them after the other daemons and the unmount of /data, with the halted notice, so the LCD is left saying the box can be unplugged"),
        "grub_dir": attr.string(doc = "workspace path of GRUB's modules for the board's EFI platform, as tools/fetch unpacks them (default: the host's /usr/lib/grub/<platform>)"),
        "fetched_esp_files": attr.string_dict(doc = "boot partition name -> workspace path of a file tools/fetch unpacks (board firmware)"),
        "esp_files": attr.label_keyed_string_dict(allow_files = True, doc = "file -> its name on the boot partition"),
        "platform": attr.string(doc = "HOST:PORT of the platform the image is built for, instead of --//rootfs:platform"),
        "version_suffix": attr.string(default = "", doc = "appended to the build's version (STABLE_PICKET_VERSION) as the image's release version, e.g. +ota1: a later release of the same binaries, for update tests"),
        "trial_boots": attr.int(default = 0, doc = "init's trial_boots (0: init's default, 3): how many boots this image's init gives a slot it installs before the previous one (this one) boots again"),
        "stable_seconds": attr.int(default = 0, doc = "init's stable_seconds (0: init's default, 30): how long every daemon must stay up before the slot is marked good"),
        "trial_seconds": attr.int(default = 0, doc = "init's trial_seconds (0: init's default): how long a slot on trial may take to be marked good"),
        "tuf_root": attr.label(allow_single_file = True, doc = "the update framework's root metadata the box trusts (/etc/picket/tuf/root.json), instead of --//rootfs:tuf_root (default: the dev root of tools/fetch)"),
        "platform_ca": attr.label(allow_single_file = True, doc = "PEM of the platform's CA, instead of --//rootfs:platform_ca"),
        "slot_mib": attr.int(default = 256, doc = "size of each rootfs slot in MiB"),
        "signatures": attr.label(allow_single_file = True, doc = "source of the default signature database; packed and signed with the release key into /usr/share/picket/signatures.pkg"),
        # The image rule is built from the top level on the host, so its
        # target configuration is the host's (and the tests'): no transition.
        "_imgtool": attr.label(default = "//src/cmd/imgtool", cfg = "target"),
        "_release_key": attr.label(default = "//rootfs:release_key"),
        "_tuf_root": attr.label(default = "//rootfs:tuf_root"),
        "_platform": attr.label(default = "//rootfs:platform"),
        "_platform_ca": attr.label(default = "//rootfs:platform_ca"),
        "_anchor": attr.label(default = "//rootfs:image.bzl", allow_single_file = True),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)

def _board_binary_impl(ctx):
    # A link of its own name: the same binary built for two boards has
    # the same runfiles path, so one would hide the other.
    out = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.symlink(output = out, target_file = _exe(ctx.attr.binary[0]), is_executable = True)
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

board_binary = rule(
    implementation = _board_binary_impl,
    doc = """A Go binary built for a board's platform, in the configuration the
    images build it in (for tests that put it into an image of their own).""",
    attrs = {
        "board": attr.string(mandatory = True, doc = "board name from platforms/boards.bzl"),
        "binary": attr.label(cfg = _to_board, mandatory = True),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
