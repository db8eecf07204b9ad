#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The plots of docs/EVALUATION.md from the JSON that run-evaluation.sh saved:
#   docs/img/sim-throughput.png  throughput vs k per topology, both planners,
#                                beside the seed paper's ns-3 numbers
#   docs/img/sim-relay-cdf.png   relay-list length CDF, 8- and 12-port
#   docs/img/live-sweep.png      the live lab's sweeps (iplb-demo sweep, saved as
#                                EVALUATION_DIR/live-{jellyfish-4port,fattree-4port,
#                                jellyfish-6port}.json):
#                                throughput / shortest path's per scheme, mean
#                                and min-max over the permutations
# Usage: tools/iplb-sim/plot.sh [EVALUATION_DIR [IMG_DIR]]
# Needs gnuplot (Debian: gnuplot-nox) and /usr/bin/python3.
set -eu
EVAL=${1:-docs/evaluation}
IMG=${2:-docs/img}
mkdir -p "$IMG"
DATA=$(mktemp -d)
trap 'rm -rf "$DATA"' EXIT

/usr/bin/python3 - "$EVAL" "$DATA" "$(dirname "$0")/.." <<'PY'
import json, sys
evaluation, data = sys.argv[1], sys.argv[2]
sys.path.insert(0, sys.argv[3])  # tools/: the sweep's ratios as iplb-demo computes them
from iplb_demo.experiment import sweep_ratios
# The seed paper's table (ns-3 DCE, 15 runs; docs/EVALUATION.md): ECMP, k=2..8.
seed = {4: [1.120, 1.178, 1.222, 1.231, 1.221, 1.230, 1.190, 1.171],
        6: [1.213, 1.192, 1.278, 1.304, 1.279, 1.300, 1.304, 1.314],
        8: [1.246, 1.162, 1.277, 1.309, 1.306, 1.314, 1.301, 1.304]}
for ports in (4, 6, 8):
    out = json.load(open(f"{evaluation}/jellyfish-{ports}port.json"))
    tree, exact = out["normalized"], out["normalized_exact"]
    with open(f"{data}/throughput-{ports}.dat", "w") as f:
        # k, tree, exact, seed, sim ECMP, seed ECMP; k=1 is shortest path (1.0)
        f.write(f"1 1 1 1 {tree['ecmp']} {seed[ports][0]}\n")
        for k in range(2, 9):
            f.write(f"{k} {tree[f'k{k}']} {exact[f'k{k}']} {seed[ports][k - 1]} "
                    f"{tree['ecmp']} {seed[ports][0]}\n")
# The live sweeps: per fabric and congestion control, a line per scheme:
# index, label, mean, min, max of the ratio to shortest path.
for fabric in ("jellyfish-4port", "fattree-4port", "jellyfish-6port"):
    out = json.load(open(f"{evaluation}/live-{fabric}.json"))
    runs = out["runs"]
    schemes = list(dict.fromkeys(r["scheme"] for r in runs))
    for cc in dict.fromkeys(r["congestion"] for r in runs):
        with open(f"{data}/live-{fabric}-{cc}.dat", "w") as f:
            for i, scheme in enumerate(schemes):
                ratios = sweep_ratios(runs, cc, scheme)
                label = ("k=" + scheme[1:] if scheme.startswith("k") else
                         "ECMP" if scheme == "ecmp" else scheme)
                f.write(f"{i} {label} {sum(ratios) / len(ratios)} {min(ratios)} {max(ratios)}\n")
for ports in (8, 12):
    out = json.load(open(f"{evaluation}/relays-{ports}port.json"))
    for planner in ("tree", "exact"):
        cdf = out["relays"][planner]["cdf"]
        with open(f"{data}/cdf-{ports}-{planner}.dat", "w") as f:
            for r, x in enumerate(cdf):
                f.write(f"{r} {x}\n")
PY

gnuplot <<GP
set terminal pngcairo size 960,330 font "sans,9"
set output "$IMG/sim-throughput.png"
set multiplot layout 1,3 title "Throughput normalised to shortest path (k=1): iplb-sim (mean of 100 seeds) vs the seed paper (ns-3)"
set xrange [0.8:8.2]
set yrange [0.95:1.55]
set xtics 1
set grid ytics lc rgb "#dddddd"
set xlabel "k (paths per destination)"
set key top right
do for [p in "4 6 8"] {
  set title p."-port Jellyfish"
  if (p ne "4") { unset key }
  plot "$DATA/throughput-".p.".dat" u 1:2 w lp lw 2 pt 7 ps 0.6 lc rgb "#1f77b4" t "sim, tree", \
       "" u 1:3 w lp lw 1 dt 2 pt 6 ps 0.6 lc rgb "#2ca02c" t "sim, exact", \
       "" u 1:4 w lp lw 1 pt 2 ps 0.8 lc rgb "#d62728" t "seed (ns-3)", \
       "" u 1:5 w l lw 1 lc rgb "#1f77b4" dt 3 t "sim ECMP", \
       "" u 1:6 w l lw 1 lc rgb "#d62728" dt 3 t "seed ECMP"
}
unset multiplot

set terminal pngcairo size 560,360 font "sans,9"
set output "$IMG/sim-relay-cdf.png"
set title "Relays per path (k=8 paths of every host pair, Jellyfish)"
set xrange [-0.2:8.2]
set yrange [0:1.05]
set xtics 1
set ytics 0.1
set grid lc rgb "#dddddd"
set xlabel "relays r"
set ylabel "fraction of paths with <= r relays"
set key bottom right
set label 1 "seed: >90% need <= 3 (8-port)" at 3.2,0.84
plot "$DATA/cdf-8-tree.dat" u 1:2 w steps lw 2 lc rgb "#1f77b4" t "8-port, tree", \
     "$DATA/cdf-8-exact.dat" u 1:2 w steps lw 2 dt 2 lc rgb "#1f77b4" t "8-port, exact", \
     "$DATA/cdf-12-tree.dat" u 1:2 w steps lw 2 lc rgb "#ff7f0e" t "12-port, tree", \
     "$DATA/cdf-12-exact.dat" u 1:2 w steps lw 2 dt 2 lc rgb "#ff7f0e" t "12-port, exact", \
     "< echo 3 0.9" u 1:2 w p pt 9 ps 1.5 lc rgb "#d62728" t "seed's 8-port point"

set terminal pngcairo size 1260,340 font "sans,9" noenhanced
set output "$IMG/live-sweep.png"
set multiplot layout 1,3 title "Live lab, MPTCP with 8 subflows: throughput / shortest path's (mean, min-max of 3 permutations)"
unset label 1
set xrange [*:*]
set offsets 0.5, 0.5, 0, 0
set xtics rotate by -30 font ",8"
set yrange [0.8:*]
set ytics auto
set xlabel ""
set ylabel ""
set grid ytics lc rgb "#dddddd"
set key top left
do for [panel in "jellyfish-4port fattree-4port jellyfish-6port"] {
  set title (panel eq "jellyfish-4port" ? "4-port Jellyfish, links 20 Mbit/s" : \
             panel eq "fattree-4port" ? "4-port fat-tree, links 20 Mbit/s" : \
             "6-port Jellyfish, links 5 Mbit/s")
  plot "$DATA/live-".panel."-cubic.dat" u (\$1-0.1):3:4:5:xtic(2) w yerrorlines lw 2 pt 7 ps 0.6 lc rgb "#1f77b4" t "cubic", \
       "$DATA/live-".panel."-iplb_lia.dat" u (\$1+0.1):3:4:5 w yerrorlines lw 2 pt 5 ps 0.6 lc rgb "#ff7f0e" t "iplb_lia", \
       1 w l lc rgb "#888888" dt 2 t "shortest"
}
unset multiplot
GP
ls -l "$IMG/sim-throughput.png" "$IMG/sim-relay-cdf.png" "$IMG/live-sweep.png"
