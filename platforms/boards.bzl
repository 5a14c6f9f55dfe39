"""Picket boards: their Bazel platforms, the binary macro that stamps a board
and version into every Go binary, and the rule that builds every daemon for
every board."""

load("@io_bazel_rules_go//go:def.bzl", "go_binary")

# Board name -> CPU constraint. Keep in sync with platforms/board (the test
# //tests/boards checks every binary's ELF machine against it).
BOARDS = {
    "appliance": "@platforms//cpu:x86_64",
    "virtual": "@platforms//cpu:x86_64",
    "rpi4": "@platforms//cpu:aarch64",
    "armv7": "@platforms//cpu:arm",
}

# The daemons that run on a box, built for every board, and the box's
# command-line scan tool (src/cmd/scan).
DAEMONS = [
    "//src/cmd/consoled",
    "//src/cmd/lcdd",
    "//src/cmd/netmgrd",
    "//src/cmd/scan",
    "//src/cmd/scannerd",
    "//src/cmd/updaterd",
]

def board_platforms(name, boards):
    """Declares, per board, a constraint_value, a platform and a config_setting.

    Args:
      name: unused; the targets are named after the boards.
      boards: dict of board name to CPU constraint label.
    """
    for name, cpu in boards.items():
        native.constraint_value(
            name = name + "_board",
            constraint_setting = ":board",
            visibility = ["//visibility:public"],
        )
        native.platform(
            name = name,
            constraint_values = [
                cpu,
                "@platforms//os:linux",
                "@io_bazel_rules_go//go/toolchain:cgo_off",
                ":" + name + "_board",
            ],
            visibility = ["//visibility:public"],
        )
        native.config_setting(
            name = "is_" + name,
            constraint_values = [":" + name + "_board"],
            visibility = ["//visibility:public"],
        )

_VERSION_PKG = "picket.dev/picket/src/base/version"

def picket_binary(name, x_defs = {}, **kwargs):
    """A go_binary stamped with the release version and its target board.

    Gazelle emits it in place of go_binary (see the map_kind directive in the
    top BUILD.bazel). The board comes from the target platform; built without
    a board platform (the host), a binary says board "virtual", the same as
    a plain "go build".

    Args:
      name: target name.
      x_defs: further link-time string definitions.
      **kwargs: passed to go_binary.
    """
    board_defs = {"//conditions:default": dict(x_defs, **{
        _VERSION_PKG + ".version": "{STABLE_PICKET_VERSION}",
    })}
    for board in BOARDS:
        board_defs["//platforms:is_" + board] = dict(x_defs, **{
            _VERSION_PKG + ".version": "{STABLE_PICKET_VERSION}",
            _VERSION_PKG + ".boardName": board,
        })

    # A board's binaries go into its image without the symbol table and
    # DWARF (-s -w): a third smaller, so a smaller initramfs to load at
    # every boot and smaller update packages; a panic's stack trace still
    # names functions and lines (they come from pclntab, which stays).
    # Host builds keep them, for debuggers.
    strip = {"//conditions:default": []}
    for board in BOARDS:
        strip["//platforms:is_" + board] = ["-s", "-w"]
    go_binary(
        name = name,
        x_defs = select(board_defs),
        gc_linkopts = select(strip),
        **kwargs
    )

# The Go settings rules_go's own transitions write, with the values every
# board is built with. Bazel 4 names a configuration after the set of
# settings that transitions ever touched on the way to it (the "ST-" hash),
# not only after their values, so the same settings reached by two paths
# compile the standard library and every package twice. Every transition of
# the project therefore writes exactly the settings a go_test's own
# go_transition writes (the platform and these), with the same values: a
# board's binaries are then one configuration whether built top level, as a
# test's data or into an image, and the host's tools share the tests'
# configuration. Do not add other settings to a transition (rootfs/image.bzl
# once reset its image flags in its transitions, which doubled every
# configuration).
GO_SETTINGS = {
    "@io_bazel_rules_go//go/config:static": False,
    "@io_bazel_rules_go//go/config:msan": False,
    "@io_bazel_rules_go//go/config:race": False,
    "@io_bazel_rules_go//go/config:pure": True,
    "@io_bazel_rules_go//go/config:linkmode": "normal",
    "@io_bazel_rules_go//go/config:tags": [],
    "@io_bazel_rules_go//go/private/rules:original_static": "",
    "@io_bazel_rules_go//go/private/rules:original_msan": "",
    "@io_bazel_rules_go//go/private/rules:original_race": "",
    "@io_bazel_rules_go//go/private/rules:original_pure": "",
    "@io_bazel_rules_go//go/private/rules:original_linkmode": "",
    "@io_bazel_rules_go//go/private/rules:original_tags": "",
    "@io_bazel_rules_go//go/private:request_nogo": True,
}

# The settings every transition of the project writes: the platform and
# GO_SETTINGS. Host tools take no transition at all: built from the top
# level, they are in the tests' own configuration (rules_go's go_transition
# is a no-op there), so the packages a test and a host tool share compile
# once.
TRANSITION_KEYS = ["//command_line_option:platforms"] + GO_SETTINGS.keys()

def board_settings(board):
    """The settings of a transition to a board's configuration.

    Args:
      board: a key of BOARDS.

    Returns:
      a dict over TRANSITION_KEYS.
    """
    return dict(GO_SETTINGS, **{"//command_line_option:platforms": "//platforms:" + board})

def _to_boards_impl(_settings, attr):
    # Every board, or only those the target names (tools/up builds the one
    # board it runs). The settings are the same either way, so a board's
    # binaries are the same actions (and cache entries) in both.
    return {
        board: board_settings(board)
        for board in BOARDS
        if not attr.boards or board in attr.boards
    }

_to_boards = transition(
    implementation = _to_boards_impl,
    inputs = [],
    outputs = TRANSITION_KEYS,
)

def _collect(ctx, dirs_and_targets):
    """Links each target's executable as <rule name>/<dir>/<target name>."""
    outs = []
    for d, targets in dirs_and_targets:
        for t in targets:
            out = ctx.actions.declare_file("/".join([p for p in [ctx.label.name, d, t.label.name] if p]))
            ctx.actions.symlink(output = out, target_file = t[DefaultInfo].files_to_run.executable)
            outs.append(out)
    return [DefaultInfo(files = depset(outs), runfiles = ctx.runfiles(files = outs))]

def _host_tools_impl(ctx):
    return _collect(ctx, [("", ctx.attr.binaries)])

host_tools = rule(
    implementation = _host_tools_impl,
    doc = "Builds host tools for the build machine into <name>/<binary>.",
    attrs = {
        "binaries": attr.label_list(mandatory = True),
    },
)

def _all_boards_impl(ctx):
    return _collect(ctx, ctx.split_attr.binaries.items())

all_boards = rule(
    implementation = _all_boards_impl,
    doc = "Builds every binary for every board (or the boards named) into <name>/<board>/<binary>.",
    attrs = {
        "binaries": attr.label_list(cfg = _to_boards, mandatory = True),
        "boards": attr.string_list(doc = "Only these boards (default: every board)."),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)

def _version_file_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".txt")
    ctx.actions.run_shell(
        inputs = [ctx.info_file],
        outputs = [out],
        command = "sed -n 's/^STABLE_PICKET_VERSION //p' {} > {}".format(ctx.info_file.path, out.path),
        mnemonic = "PicketVersion",
    )
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

version_file = rule(
    implementation = _version_file_impl,
    doc = "Writes <name>.txt holding the version stamped into the binaries.",
)
