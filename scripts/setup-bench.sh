#!/usr/bin/env bash
# setup-bench.sh: install the benchmark-only peers from Debian 12's packages (what bench/*.sh
# compares dmlc with, beyond scripts/setup.sh): StarPU for bench/task_overhead.sh. OpenMP
# (libgomp) comes with gcc, from build-essential in scripts/setup.sh, which does the installing.
# Idempotent: does nothing when all packages are already installed.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/setup.sh" libstarpu-dev
