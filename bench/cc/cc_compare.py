#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Compares congestion controls on an MPTCP connection's two subflows, in one
run, in the namespaces of the coupled congestion control's tests
(tests/datapath/cc/cclab.py: a client with two paths, a TCP source, tbf
bottlenecks, 10 ms of queue, no other delay):

  shared    one 40 Mbit/s bottleneck for both subflows and a cubic TCP flow:
            the MPTCP connection's share of what the sink received (one TCP
            flow's fair share: 0.5; two uncoupled flows take about 2/3)
  disjoint  a 20 Mbit/s bottleneck on each path, nothing shared: what the
            MPTCP connection delivered (one link: 20)
  shift     the same two paths; after 4 s two cubic TCP flows join path a:
            the part of the MPTCP traffic on path a from 7 to 11 s (0.5
            before), and what the connection delivered then (path b alone
            could carry 20)

Variants: iplb_lia (RFC 6356 as written), iplb_lia-min4 (iplb_lia with
--min-coupled 4: windows under 4 packets grow as Reno), and the kernel's
uncoupled cubic and bbr on each subflow. iplb_lia is loaded into a pin
directory of this run (and unloaded at the end); it must not be loaded
already. As root; about 8 minutes with the defaults. Run it on a quiet
machine: the senders are Python.

  bench/cc/cc_compare.py [--iplbctl tools/iplbctl/iplbctl] [--runs 5]
                         [--variants iplb_lia,iplb_lia-min4,cubic,bbr] [--json]
"""

import argparse
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "datapath",
                                "cc"))
from cclab import (CLIENT_A, PATH_A, PATH_B, SHARED, TCP_SOURCE, CcLab, Flow,  # noqa: E402
                   iplbctl_cc)

VARIANTS = {  # name: (congestion control of the subflows, --min-coupled)
    "iplb_lia": ("iplb_lia", 0),
    "iplb_lia-min4": ("iplb_lia", 4),
    "cubic": ("cubic", None),
    "bbr": ("bbr", None),
}


def shared(lab, cc, seconds=10.0, warmup=2.0):
    lab.unshape_all()
    lab.shape(SHARED, 40)
    flows = [Flow("mptcp", "c", CLIENT_A, cc, mptcp=True), Flow("tcp", "t", TCP_SOURCE, "cubic")]
    got = lab.run(flows, seconds, [(warmup, seconds)])[0]["flows"]
    return got["mptcp"] / (got["mptcp"] + got["tcp"])


def disjoint(lab, cc, seconds=5.0, warmup=1.5):
    lab.unshape_all()
    lab.shape(PATH_A, 20)
    lab.shape(PATH_B, 20)
    flows = [Flow("mptcp", "c", CLIENT_A, cc, mptcp=True)]
    return lab.run(flows, seconds, [(warmup, seconds)])[0]["flows"]["mptcp"]


def shift(lab, cc):
    lab.unshape_all()
    lab.shape(PATH_A, 20)
    lab.shape(PATH_B, 20)
    flows = [Flow("mptcp", "c", CLIENT_A, cc, mptcp=True)]
    flows += [Flow("tcp%d" % i, "t", TCP_SOURCE, "cubic", start=4.0) for i in range(2)]
    after = lab.run(flows, 11.0, [(7.0, 11.0)])[0]
    paths = after["paths"]
    return paths["a"] / (paths["a"] + paths["b"]), after["flows"]["mptcp"]


def spread(values, digits):
    form = "%%.%df" % digits
    return (form + " (" + form + "-" + form + ")") % (statistics.median(values), min(values),
                                                       max(values))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iplbctl", default="tools/iplbctl/iplbctl")
    parser.add_argument("--runs", type=int, default=5, help="runs of each case (shift: 3)")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    variants = args.variants.split(",")
    for name in variants:
        if name not in VARIANTS:
            parser.error("unknown variant %s: expected %s" % (name, ", ".join(VARIANTS)))
    if os.geteuid() != 0:
        sys.exit("cc_compare.py: needs root (namespaces, eBPF)")

    lab = CcLab("iplbccb")
    pin_dir = "/run/iplb/bpf/%s-cc" % lab.net.tag
    results = {name: {"shared": [], "disjoint": [], "shift": [], "shiftTotal": []}
               for name in variants}
    loaded = False
    try:
        if any(VARIANTS[name][0] == "iplb_lia" for name in variants):
            rc, out, err = iplbctl_cc(args.iplbctl, "load", "--pin-dir", pin_dir)
            if rc != 0:
                sys.exit("cc_compare.py: iplbctl cc load: %s" % err.strip())
            loaded = True
        lab.up()
        # Interleaved, so that a change in the machine's load hits every
        # variant alike.
        for run in range(args.runs):
            for name in variants:
                cc, floor = VARIANTS[name]
                if floor is not None:
                    rc, out, err = iplbctl_cc(args.iplbctl, "load", "--pin-dir", pin_dir,
                                              "--min-coupled", str(floor))
                    assert rc == 0, err
                r = results[name]
                r["shared"].append(shared(lab, cc))
                if run < 3:
                    r["disjoint"].append(disjoint(lab, cc))
                    a_part, total = shift(lab, cc)
                    r["shift"].append(a_part)
                    r["shiftTotal"].append(total)
                print("run %d %-14s shared %.2f%s" % (
                    run + 1, name, r["shared"][-1],
                    "  disjoint %.1f  shift %.2f / %.1f" % (
                        r["disjoint"][-1], r["shift"][-1], r["shiftTotal"][-1])
                    if run < 3 else ""), file=sys.stderr, flush=True)
    finally:
        lab.down()
        if loaded:
            iplbctl_cc(args.iplbctl, "unload", "--pin-dir", pin_dir)

    if args.json:
        print(json.dumps(results, indent=1))
        return
    print("| subflows | shared: MPTCP share vs 1 cubic (median, min-max) | "
          "disjoint: Mbit/s | shift: part on path a | shift: Mbit/s |")
    print("|---|---|---|---|---|")
    for name in variants:
        r = results[name]
        print("| %s | %s | %s | %s | %s |" % (name, spread(r["shared"], 2),
                                            spread(r["disjoint"], 1), spread(r["shift"], 2),
                                            spread(r["shiftTotal"], 1)))


if __name__ == "__main__":
    main()
