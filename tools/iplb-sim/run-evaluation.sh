#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The simulator runs of docs/EVALUATION.md: each command's text output and
# its JSON are saved in OUT (default docs/evaluation), with the time it took.
# Usage: tools/iplb-sim/run-evaluation.sh [OUT]   (from the build directory)
set -eu
SIM=${IPLB_SIM:-tools/iplb-sim/iplb-sim}
OUT=${1:-docs/evaluation}
mkdir -p "$OUT"

run() {
	name=$1
	shift
	start=$(date +%s.%N)
	{
		echo "\$ iplb-sim $*"
		"$SIM" "$@"
	} > "$OUT/$name.txt"
	"$SIM" "$@" --json > "$OUT/$name.json"
	end=$(date +%s.%N)
	awk -v n="$name" -v a="$start" -v b="$end" 'BEGIN { printf "%-22s %6.1f s (text and JSON runs)\n", n, b - a }'
}

# Throughput, both planners, 100 graph and traffic instances each.
run jellyfish-4port --ports 4 --seeds 100 --no-relay-cdf
run jellyfish-6port --ports 6 --seeds 100 --no-relay-cdf
run jellyfish-8port --ports 8 --seeds 100 --no-relay-cdf
run jellyfish-12port --ports 12 --seeds 20 --no-relay-cdf
run fattree-8port --topology fattree --ports 8 --seeds 100 --no-relay-cdf
# Sensitivity: subflows mapped to paths by their hash (modes hash, weighted).
run jellyfish-8port-hash --ports 8 --seeds 100 --no-relay-cdf --mapping hash
run fattree-8port-hash --topology fattree --ports 8 --seeds 100 --no-relay-cdf --mapping hash
# Relay counts of every host pair's 8 paths.
run relays-8port --ports 8 --seeds 10 --relay-cdf --cdf-pairs 0
run relays-12port --ports 12 --seeds 3 --relay-cdf --cdf-pairs 0
