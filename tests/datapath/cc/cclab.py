#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The congestion control lab: namespaces, bottlenecks and bulk flows for the
tests of iplb_lia (test_coupled_cc.py) and its benchmark (bench/cc).

    c (client) c1 10.7.1.1 --- ra ---+
               c2 10.7.2.1 --- rb ---+--- m --- s (sink) 10.7.6.2
    t (TCP)    t0 10.7.3.1 --- ra    |
                                     (ra -> m: path a, rb -> m: path b,
                                      m -> s: shared by both)

c opens MPTCP connections from 10.7.1.1 (path a); the kernel's path manager
adds a subflow from 10.7.2.1 (an endpoint of c2, routed over rb by a rule
on its source): path b. t sends plain TCP over ra, so it meets path a's
subflow at ra -> m, and both subflows at m -> s. Bottlenecks are tbf on a
router's egress (this kernel has no netem: no delay emulation, the RTT is
the queue's), never on the senders' own interfaces, whose TCP would then see
its own qdisc's drops. Senders set their congestion control per socket
(TCP_CONGESTION), so nothing depends on a namespace's default.

Every command is bounded in time; down() removes every namespace and process,
whatever state up() reached.
"""

import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from netns import PY, Namespaces  # noqa: E402

TRAFFIC = os.path.join(HERE, "cctraffic.py")
NODES = ["c", "t", "ra", "rb", "m", "s"]
LINKS = [  # (node, ifname, address, peer node, peer ifname, peer address)
    ("c", "c1", "10.7.1.1/24", "ra", "rc", "10.7.1.2/24"),
    ("c", "c2", "10.7.2.1/24", "rb", "rc", "10.7.2.2/24"),
    ("t", "t0", "10.7.3.1/24", "ra", "rt", "10.7.3.2/24"),
    ("ra", "rm", "10.7.4.1/24", "m", "ma", "10.7.4.2/24"),
    ("rb", "rm", "10.7.5.1/24", "m", "mb", "10.7.5.2/24"),
    ("m", "ms", "10.7.6.1/24", "s", "s0", "10.7.6.2/24"),
]
ROUTES = {
    "c": ["default via 10.7.1.2"],
    "t": ["default via 10.7.3.2"],
    "ra": ["default via 10.7.4.2"],
    "rb": ["default via 10.7.5.2"],
    "m": ["10.7.1.0/24 via 10.7.4.1", "10.7.3.0/24 via 10.7.4.1", "10.7.2.0/24 via 10.7.5.1"],
    "s": ["default via 10.7.6.1"],
}
CLIENT_A, CLIENT_B, TCP_SOURCE, SINK = "10.7.1.1", "10.7.2.1", "10.7.3.1", "10.7.6.2"
PORT = 5201
# Where each bottleneck is: (node, interface of its egress).
PATH_A, PATH_B, SHARED = ("ra", "rm"), ("rb", "rm"), ("m", "ms")
# Interface counters (tx bytes) run() reads: what the client sends on each
# path (MPTCP's subflows only), what leaves each path's bottleneck (after
# its drops; t's TCP too on path a).
COUNTERS = {"a": ("c", "c1"), "b": ("c", "c2"), "a_out": PATH_A, "b_out": PATH_B}


class Flow:
    """One bulk connection: from node (bound to src), with congestion
    control cc, MPTCP or TCP, from `start` seconds into the run for
    `seconds` (the rest of the run if None)."""

    def __init__(self, label, node, src, cc, mptcp=False, start=0.0, seconds=None):
        self.label, self.node, self.src, self.cc = label, node, src, cc
        self.mptcp, self.start, self.seconds = mptcp, start, seconds
        self.process = None
        self.result = None


class CcLab:
    def __init__(self, prefix="iplbcc"):
        self.net = Namespaces(prefix)
        self.ns, self.sh = self.net.ns, self.net.sh
        self.processes = []

    # ---- the topology -------------------------------------------------------------

    def up(self):
        for node in NODES:
            self.sh("ip", "netns", "add", self.ns(node))
            self.sh("ip", "link", "set", "dev", "lo", "up", node=node)
            self.sh("sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0",
                    "net.ipv4.conf.default.rp_filter=0", node=node)
        for node, ifname, address, peer, peer_if, peer_address in LINKS:
            self.sh("ip", "link", "add", "name", ifname, "netns", self.ns(node), "type", "veth",
                    "peer", "name", peer_if, "netns", self.ns(peer))
            self.sh("ip", "addr", "add", address, "dev", ifname, node=node)
            self.sh("ip", "addr", "add", peer_address, "dev", peer_if, node=peer)
            self.sh("ip", "link", "set", "dev", ifname, "up", node=node)
            self.sh("ip", "link", "set", "dev", peer_if, "up", node=peer)
        for node, routes in ROUTES.items():
            for route in routes:
                self.sh("ip", "route", "add", *route.split(), node=node)
        # The second subflow leaves by c2 whatever its destination.
        self.sh("ip", "rule", "add", "from", CLIENT_B, "table", "102", node="c")
        self.sh("ip", "route", "add", "default", "via", "10.7.2.2", "dev", "c2", "table", "102",
                node="c")
        for node in ("c", "s"):
            self.sh("ip", "mptcp", "limits", "set", "subflow", "2", "add_addr_accepted", "2",
                    node=node)
        self.sh("ip", "mptcp", "endpoint", "add", CLIENT_B, "dev", "c2", "subflow", node="c")
        # Senders hand the veth packets, not 64 KB TSO bursts: a burst
        # overflowing the bottleneck's queue takes many losses from one flow
        # at once, and made the shares of a 5 s run swing twice as wide.
        for node, dev in (("c", "c1"), ("c", "c2"), ("t", "t0")):
            self.sh("ip", "link", "set", "dev", dev, "gso_max_segs", "1", node=node)
        self.net.wait_links_up(NODES)

    def down(self):
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            try:
                process.communicate(timeout=10)
            except (subprocess.TimeoutExpired, ValueError):
                pass
        self.processes = []
        for node in NODES:
            subprocess.run(["ip", "netns", "del", self.ns(node)], capture_output=True,
                           timeout=30)

    def leftover(self):
        """Namespaces of this lab that still exist."""
        listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True,
                                timeout=10).stdout
        names = {line.split()[0] for line in listed.splitlines() if line.strip()}
        return sorted(self.ns(node) for node in NODES if self.ns(node) in names)

    # ---- bottlenecks ----------------------------------------------------------------

    def shape(self, where, mbit, queue_ms=10):
        """A tbf of mbit on where's egress, queueing at most queue_ms."""
        node, dev = where
        self.sh("tc", "qdisc", "replace", "dev", dev, "root", "tbf", "rate", "%dmbit" % mbit,
                "burst", "32kb", "latency", "%dms" % queue_ms, node=node)

    def unshape(self, where):
        node, dev = where
        self.sh("tc", "qdisc", "del", "dev", dev, "root", node=node, check=False)

    def unshape_all(self):
        for where in (PATH_A, PATH_B, SHARED):
            self.unshape(where)

    def tx_bytes(self, where):
        node, dev = where
        out = self.sh("ip", "-j", "-s", "-n", self.ns(node), "link", "show", "dev", dev).stdout
        return json.loads(out)[0]["stats64"]["tx"]["bytes"]

    def set_default_cc(self, node, cc):
        """The namespace's default congestion control. It must be listed in
        tcp_allowed_congestion_control, else EPERM outside the initial
        namespace; iplb_lia is, from its registration on."""
        self.sh("sysctl", "-qw", "net.ipv4.tcp_congestion_control=%s" % cc, node=node)

    # ---- traffic ----------------------------------------------------------------------

    def run(self, flows, seconds, windows, probes=()):
        """Runs the flows for `seconds` in all; for each window (from, to)
        in seconds since the start, returns each flow's goodput (Mbit/s at
        the sink) and the interface counters' rates (COUNTERS, Mbit/s):
        {"flows": {label: mbit}, "paths": {"a": mbit, "b": mbit, "a_out":
        mbit, "b_out": mbit}}. The senders' own reports are left in flow.result; each
        probe (at, function) is called at `at` seconds, its result left in
        self.probed, in order."""
        self.probed = []
        sink = subprocess.Popen(["ip", "netns", "exec", self.ns("s"), PY, TRAFFIC, "sink",
                                 str(PORT), str(seconds + 3)],
                                stdout=subprocess.PIPE, text=True)
        self.processes.append(sink)
        assert json.loads(sink.stdout.readline()) == {"ready": True}
        t0 = time.time() + 0.1
        events = [(flow.start, "flow", flow) for flow in flows]
        events += [(at, "probe", function) for at, function in probes]
        for index, (start, end) in enumerate(windows):
            events += [(start, "count", (index, 0)), (end, "count", (index, 1))]
        events.sort(key=lambda e: (e[0], e[1] != "count"))  # stable: flows in order
        counts = {}
        for at, kind, what in events:
            time.sleep(max(0.0, t0 + at - time.time()))
            if kind == "flow":
                length = what.seconds if what.seconds is not None else seconds - what.start
                args = [PY, TRAFFIC, "send", SINK, str(PORT), "%.2f" % length, what.cc,
                        "mptcp" if what.mptcp else "tcp", what.src]
                what.process = subprocess.Popen(["ip", "netns", "exec", self.ns(what.node)]
                                                + args, stdout=subprocess.PIPE,
                                                stderr=subprocess.PIPE, text=True)
                self.processes.append(what.process)
            elif kind == "probe":
                self.probed.append(what())
            else:
                counts[what] = (time.time(), {path: self.tx_bytes(where)
                                              for path, where in COUNTERS.items()})
        for flow in flows:
            out, err = flow.process.communicate(timeout=seconds + 20)
            assert flow.process.returncode == 0, "%s: %s" % (flow.label, err)
            flow.result = json.loads(out.strip().splitlines()[-1])
        out, _ = sink.communicate(timeout=seconds + 20)
        received = json.loads(out.strip().splitlines()[-1])
        self.received = received  # the sink's report, for a closer look

        by_source = {}
        for conn in received["connections"]:
            by_source.setdefault(conn["peer"].split(":")[0], []).append(conn)
        results = []
        for index, (start, end) in enumerate(windows):
            (t_start, c_start), (t_end, c_end) = counts[(index, 0)], counts[(index, 1)]
            first = int((t_start - received["start"]) / received["bin"]) + 1
            last = int((t_end - received["start"]) / received["bin"])
            span = (last - first) * received["bin"]
            window = {"flows": {}, "paths": {}}
            for flow in flows:
                # Flows of one source are told apart by the order they
                # connected in (the sink's), which is the order they started.
                same = [f for f in flows if f.src == flow.src]
                conns = by_source.get(flow.src, [])
                position = same.index(flow)
                got = 0
                if position < len(conns):
                    bins = conns[position]["bins"]
                    got = sum(bins.get(str(i), 0) for i in range(first, last))
                window["flows"][flow.label] = got * 8 / span / 1e6
            for path in COUNTERS:
                window["paths"][path] = ((c_end[path] - c_start[path]) * 8 /
                                         (t_end - t_start) / 1e6)
            results.append(window)
        return results


def iplbctl_cc(iplbctl, *args):
    """`iplbctl -j cc ARGS`: (exit status, its JSON or None, stderr)."""
    result = subprocess.run([iplbctl, "-j", "cc", *args], capture_output=True, text=True,
                            timeout=60)
    try:
        out = json.loads(result.stdout) if result.stdout.strip() else None
    except ValueError:
        out = None
    return result.returncode, out, result.stderr
