#!/bin/sh
echo "bazel coverage is not supported in Picket's offline build; use: go test -cover ./..." >&2
exit 1
