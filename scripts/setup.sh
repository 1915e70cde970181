#!/usr/bin/env bash
# setup.sh: install every build, test and sample dependency from Debian 12's packages.
# Idempotent: does nothing when all packages are already installed.
# usage: scripts/setup.sh [EXTRA_PACKAGE...]   (extra packages are installed the same way;
#        scripts/setup-bench.sh passes the benchmark-only peers)
set -euo pipefail

packages=(
    build-essential cmake pkg-config
    llvm-19-dev
    libhwloc-dev hwloc
    libopenblas-dev
    libopenmpi-dev openmpi-bin
    libcriterion-dev
    clang libclang-rt-14-dev clang-format
    python3 python3-numpy python3-sklearn
    hyperfine
    "$@"
)

missing=()
for pkg in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$pkg")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "setup: all ${#packages[@]} packages already installed"
    exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
    as_root=(env DEBIAN_FRONTEND=noninteractive)
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo env DEBIAN_FRONTEND=noninteractive)
else
    echo "setup: missing packages (${missing[*]}) and not root, no sudo available" >&2
    exit 1
fi

echo "setup: installing ${missing[*]}"
"${as_root[@]}" apt-get update
"${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
