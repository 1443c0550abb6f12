#!/usr/bin/env bash
# Runs every test tier: unit (pure C++), vm (boots the cached 7.2 conformance
# kernel under QEMU: built first if the cache lacks it), kbuild (checks the spec's
# kernel citations against the fetched sources), python (when present).
# Expects tools/setup.sh to have run. Exit status is ctest's.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${IOCONFORM_BUILD:-$REPO/build}
cmake --build "$BUILD" -j"$(nproc)"
# The vm tier needs a conformance kernel; building it is cached by source
# version, config fragment and compiler, so this is a no-op after the first time.
"$BUILD/tools/ioconform" kernel build --version 7.2
export IOCONFORM_REQUIRE_KERNEL=1
export IOCONFORM_KERNEL_DIR=$("$BUILD/tools/ioconform" kernel path --version 7.2)
cd "$BUILD"
ctest --output-on-failure --timeout 1800 "$@"
