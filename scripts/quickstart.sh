#!/usr/bin/env bash
# quickstart.sh: install dependencies, build dmlc, and run the lasso sample (LANGUAGE.md §1) on the
# diabetes data: the objective falls round by round and the coefficients land in samples/out/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDMLC_WERROR=ON
cmake --build build -j2

echo "\$ build/dmlc run samples/lasso.dml"
build/dmlc run samples/lasso.dml
echo "\$ cat samples/out/lasso_w.csv"
cat samples/out/lasso_w.csv
