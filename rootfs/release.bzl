"""Update repositories for tests: a throwaway TUF root and a repository of
releases signed with the release key, made by the release tool
(src/cmd/release) the way a release manager runs it (docs/updates.md).

tuf_test_root makes the root, snapshot and timestamp keys (throwaway build
outputs, test-only) and a repository whose root version 1 names them and
the release key as the targets role's key: its root.json goes into the
images a test boots (picket_image's tuf_root). update_repo adds the
release outputs of images (picket_image's output group "release": the
slot's squashfs and signed manifest) with their chunk indexes and SBOMs,
signs the targets with the release key and publishes.

Both actions read the release key from outside the build like
picket_image does (--//rootfs:release_key, else the dev key tools/fetch
makes), so they run unsandboxed and uncached. Their metadata expires ten
years after the build: a test repository must not expire while a build
cache holds it (expiry itself is tested with repositories made at test
time, src/update/tuf).
"""

load(":image.bzl", "PathInfo")

# The shell preamble that finds the workspace and the release key, as
# picket_image does: $1 the key flag's value, $2 a source file of rootfs/.
_KEY_SH = """set -eu
key="$1"; shift; anchor="$1"; shift
ws=$(dirname "$(dirname "$(readlink -f "$anchor")")")
[ -n "$key" ] || key="$ws/third_party/_fetched/keys/release.key"
case "$key" in /*) ;; *) key="$ws/$key" ;; esac
pub="${key%.key}.pub"
if [ ! -f "$key" ] || [ ! -f "$pub" ]; then
  echo "release repository: no release key pair at $key and $pub (tools/fetch makes the dev pair; --//rootfs:release_key=/path/to/release.key with release.pub beside it)" >&2
  exit 1
fi
"""

_EXPIRY = "3650d"

def _exe(target):
    return target[DefaultInfo].files_to_run.executable

def _tuf_test_root_impl(ctx):
    root = ctx.actions.declare_file(ctx.label.name + "/root.json")
    keys = ctx.actions.declare_directory(ctx.label.name + "/keys")
    repo = ctx.actions.declare_directory(ctx.label.name + "/repo")
    tool = _exe(ctx.attr._release)
    ctx.actions.run_shell(
        inputs = [ctx.file._anchor],
        tools = [tool],
        outputs = [root, keys, repo],
        command = _KEY_SH + """tool="$1"; keys="$2"; repo="$3"; root="$4"; exp="$5"
rm -rf "$repo"
for r in root snapshot timestamp; do "$tool" keygen -out "$keys" -name "$r" >/dev/null; done
"$tool" init -repo "$repo" -root-key "$keys/root.pub" -targets-key "$pub" \
  -snapshot-key "$keys/snapshot.pub" -timestamp-key "$keys/timestamp.pub" \
  -root-expires "$exp" -targets-expires "$exp" >/dev/null
"$tool" sign -repo "$repo" -role root -key "$keys/root.key" >/dev/null
"$tool" sign -repo "$repo" -role targets -key "$key" >/dev/null
"$tool" publish -repo "$repo" -snapshot-key "$keys/snapshot.key" -timestamp-key "$keys/timestamp.key" \
  -snapshot-expires "$exp" -timestamp-expires "$exp" >/dev/null
cp "$repo/metadata/1.root.json" "$root"
""",
        arguments = [ctx.attr._release_key[PathInfo].path, ctx.file._anchor.path, tool.path, keys.path, repo.path, root.path, _EXPIRY],
        mnemonic = "TUFTestRoot",
        progress_message = "Making the throwaway update root %s" % root.short_path,
        execution_requirements = {"no-sandbox": "1", "no-remote": "1", "no-cache": "1"},
    )
    return [
        DefaultInfo(files = depset([root])),
        OutputGroupInfo(keys = depset([keys]), repo = depset([repo])),
    ]

tuf_test_root = rule(
    implementation = _tuf_test_root_impl,
    doc = "A throwaway TUF root for tests: <name>/root.json (default output), the online and root keys (output group keys) and the published empty repository (output group repo).",
    attrs = {
        "_release": attr.label(default = "//src/cmd/release", executable = True, cfg = "target"),
        "_release_key": attr.label(default = "//rootfs:release_key"),
        "_anchor": attr.label(default = "//rootfs:image.bzl", allow_single_file = True),
    },
)

def _update_repo_impl(ctx):
    out = ctx.actions.declare_directory(ctx.label.name)
    tool = _exe(ctx.attr._release)
    root = ctx.attr.root[OutputGroupInfo]
    keys = root.keys.to_list()[0]
    repo0 = root.repo.to_list()[0]
    inputs = [ctx.file._anchor, keys, repo0, ctx.file._modules, ctx.file._gosum, ctx.file._inputs]
    images = []
    for img in ctx.attr.images:
        files = img[OutputGroupInfo].release.to_list()
        slot = [f for f in files if f.basename.endswith(".rootfs.img")][0]
        man = [f for f in files if f.basename.endswith(".rootfs.manifest")][0]
        inputs += [slot, man]
        images += [slot.path, man.path]
    for f in ctx.files.signatures:
        inputs.append(f)
    ctx.actions.run_shell(
        inputs = inputs,
        tools = [tool],
        outputs = [out],
        command = _KEY_SH + """tool="$1"; shift; keys="$1"; shift; repo0="$1"; shift; out="$1"; shift
modules="$1"; shift; gosum="$1"; shift; lock="$1"; shift; exp="$1"; shift; nimg="$1"; shift
rm -rf "$out"; mkdir -p "$out"; cp -R "$repo0/." "$out/"; chmod -R u+w "$out"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
i=0
while [ "$i" -lt "$nimg" ]; do
  img="$1"; man="$2"; shift 2
  "$tool" chunks -image "$img" -out "$work/$i.chunks" >/dev/null
  SOURCE_DATE_EPOCH=0 "$tool" sbom -manifest "$man" -pub "$pub" -modules "$modules" -gosum "$gosum" -inputs "$lock" -out "$work/$i.spdx.json" >/dev/null
  "$tool" add-software -repo "$out" -image "$img" -manifest "$man" -chunks "$work/$i.chunks" \
    -sbom "$work/$i.spdx.json" -targets-expires "$exp" >/dev/null
  i=$((i + 1))
done
for pkg in "$@"; do "$tool" add-signatures -repo "$out" -pkg "$pkg" -targets-expires "$exp" >/dev/null; done
"$tool" sign -repo "$out" -role targets -key "$key" >/dev/null
"$tool" publish -repo "$out" -snapshot-key "$keys/snapshot.key" -timestamp-key "$keys/timestamp.key" \
  -snapshot-expires "$exp" -timestamp-expires "$exp" >/dev/null
""",
        arguments = [
                        ctx.attr._release_key[PathInfo].path,
                        ctx.file._anchor.path,
                        tool.path,
                        keys.path,
                        repo0.path,
                        out.path,
                        ctx.file._modules.path,
                        ctx.file._gosum.path,
                        ctx.file._inputs.path,
                        _EXPIRY,
                        str(len(ctx.attr.images)),
                    ] +
                    images + [f.path for f in ctx.files.signatures],
        mnemonic = "UpdateRepo",
        progress_message = "Publishing the update repository %s" % out.short_path,
        execution_requirements = {"no-sandbox": "1", "no-remote": "1", "no-cache": "1"},
    )
    return [DefaultInfo(files = depset([out]))]

update_repo = rule(
    implementation = _update_repo_impl,
    doc = "An update repository (a directory platformd -updates serves) with the software releases of images and signature packages, for tests.",
    attrs = {
        "root": attr.label(mandatory = True, doc = "a tuf_test_root"),
        "images": attr.label_list(doc = "picket_image targets: their release outputs become software releases (board and version from the signed manifest)"),
        "signatures": attr.label_list(allow_files = True, doc = "signature packages (imgtool sigpack) to publish"),
        "_release": attr.label(default = "//src/cmd/release", executable = True, cfg = "target"),
        "_release_key": attr.label(default = "//rootfs:release_key"),
        "_anchor": attr.label(default = "//rootfs:image.bzl", allow_single_file = True),
        "_modules": attr.label(default = "//:vendor/modules.txt", allow_single_file = True),
        "_gosum": attr.label(default = "//:go.sum", allow_single_file = True),
        "_inputs": attr.label(default = "//:third_party/inputs.lock", allow_single_file = True),
    },
)
