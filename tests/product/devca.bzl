"""platform_ca: a throwaway platform CA made at build time by devca."""

def _platform_ca_impl(ctx):
    outs = [ctx.outputs.ca, ctx.outputs.cert, ctx.outputs.key]
    ctx.actions.run(
        executable = ctx.executable._devca,
        arguments = ["-out", outs[0].dirname, "-host", ctx.attr.host],
        outputs = outs,
        mnemonic = "PicketDevCA",
        progress_message = "Making a throwaway platform CA for " + ctx.attr.host,
    )
    return [DefaultInfo(files = depset(outs))]

# A genrule would build devca for the host configuration, which compiles the
# standard library and devca's packages once more just for this tool. Built
# from the top level, the target configuration is the host's own (the one
# the tests use), so the tool takes it and shares their compiled packages.
platform_ca = rule(
    implementation = _platform_ca_impl,
    doc = "Writes ca/dev-ca.pem, ca/dev-cert.pem and ca/dev-key.pem: a CA and a server certificate for host.",
    # Predeclared, so that other targets of the package name them
    # (ca/dev-ca.pem) as they would a genrule's outputs.
    outputs = {
        "ca": "ca/dev-ca.pem",
        "cert": "ca/dev-cert.pem",
        "key": "ca/dev-key.pem",
    },
    attrs = {
        "host": attr.string(mandatory = True, doc = "the platform's host name"),
        "_devca": attr.label(
            default = "//tests/product/devca",
            executable = True,
            cfg = "target",
        ),
    },
)
