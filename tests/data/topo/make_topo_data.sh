#!/bin/sh
# make_topo_data.sh: writes the hwloc XML topologies that tests/unit/test_topo.c loads. Run once from
# this folder (needs hwloc's lstopo-no-graphics); the outputs are kept in the repository.
set -e
# 2 packages x 2 NUMA nodes x 2 cores x 2 hardware threads: 4 domains, 8 cores, 16 PUs.
lstopo-no-graphics --input "pack:2 numa:2 core:2 pu:2" --of xml > four_domains.xml
# 2 NUMA nodes of 4 cores, restricted to PUs 0-4: an uneven machine of 4 + 1 cores.
lstopo-no-graphics --input "numa:2 core:4 pu:1" --restrict 0x1f --of xml > uneven_domains.xml
