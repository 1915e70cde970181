#!/usr/bin/env bash
# setup-bench.sh: install the benchmark-only peers from Debian 12's packages (what bench/*.sh
# compares dmlc with, beyond scripts/setup.sh): StarPU for bench/task_overhead.sh. OpenMP
# (libgomp) comes with gcc, from build-essential in scripts/setup.sh.
# Idempotent: does nothing when all packages are already installed.
set -euo pipefail

packages=(
    libstarpu-dev
)

missing=()
for pkg in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$pkg")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "setup-bench: all ${#packages[@]} packages already installed"
    exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
    as_root=(env DEBIAN_FRONTEND=noninteractive)
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo env DEBIAN_FRONTEND=noninteractive)
else
    echo "setup-bench: missing packages (${missing[*]}) and not root, no sudo available" >&2
    exit 1
fi

echo "setup-bench: installing ${missing[*]}"
"${as_root[@]}" apt-get update
"${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
