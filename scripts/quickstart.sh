#!/usr/bin/env bash
# quickstart.sh: install dependencies, build dmlc, and run it on the lasso sample.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDMLC_WERROR=ON
cmake --build build -j2

echo "\$ build/dmlc check samples/lasso.dml"
build/dmlc check samples/lasso.dml
echo "\$ build/dmlc dump-ir samples/lasso.dml"
build/dmlc dump-ir samples/lasso.dml
