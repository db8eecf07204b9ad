#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
iplb's eBPF tunnels beside plain forwarding and the kernel's own tunnels, in
one run, over veth between network namespaces this script creates (and
always removes):

    a (host) ---- r1 (relay) ---- r2 (relay/router) ---- b (iperf3 server)
    10.0.1.1   10.0.1.2  10.0.2.1   10.0.2.2  10.4.1.1   10.4.1.2
    lo 10.255.1.1    lo 10.255.0.1     lo 10.255.0.2
    fd00:1::1  fd00:1::2  fd00:2::1  fd00:2::2

Traffic goes from a (source address 10.255.1.1) to b; only a -> b is
tunnelled, replies are routed plainly in every mode. Modes:

  plain        routed forwarding a -> r1 -> r2 -> b, nothing attached
  iplb-ipip    iplbctl: host program on a, relay program on r1 (TCX), relay
               r1, encap ipip (one 20-byte header a -> r1); the relays accept
               tunnels from a's source 10.255.1.1 only
  iplb-gre     the same, encap gre (24 bytes)
  iplb-gue     the same, encap gue (IPv4 + UDP to port 6080, 28 bytes)
  srv6         a: IPv4 route encap seg6 mode encap segs <r1 SID> (IPv6 + SRH
               with one segment, 64 bytes); r1: seg6local End.DX4
  vxlan        a vxlan device on a and on r1 (VNI 42, UDP 4789, defaults:
               UDP checksum on, which veth leaves to "hardware", MTU 1450); a
               routes b's prefix over it; r1 routes the inner packet on (50
               bytes a -> r1)
  iplb-ipip-2  two relays, r1 then r2 (nested IPIP, 40 bytes)
  srv6-2       two segments: r1 End, r2 End.DX4 (80 bytes)
  iplb-idle    (not by default) programs attached as for iplb-ipip, but the
               table holds another prefix: b's traffic is not in it

Each repetition runs every mode (in a rotating order, so that load changing
on the machine touches all alike): set it up, iperf3 TCP for --seconds (after
one second not counted: slow start), iperf3 UDP with 64-byte datagrams at full
speed (-b 0) for --seconds, check that the traffic went through the tunnel
(its counters), take it down. Reported: TCP Gbit/s and UDP packets/s received
by b, median and range over repetitions, and each median as a ratio to plain.
Then, unless --no-bpf-stats, one UDP and one TCP run per iplb mode (and
iplb-idle) with BPF run-time statistics on (BPF_ENABLE_STATS, held only for
those runs) give each program's ns per run in real traffic.

Needs root; installs iperf3 with apt-get if it is missing. Every wait is
bounded; the namespaces and iplb pins are removed on exit, also on Ctrl-C,
TERM or HUP.

Usage: veth_compare.py [--iplbctl PATH] [--reps 5] [--seconds 5]
                       [--modes plain,iplb-ipip,...] [--no-bpf-stats] [--json FILE]
"""

import argparse
import ctypes
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time

TAG = "iplbb%d" % (os.getpid() % 100000)
NODES = ["a", "r1", "r2", "b"]
PORT = 5201
DST = "10.4.1.2"
LINKS = [  # (node, ifname, v4, v6, peer, peer ifname, peer v4, peer v6)
    ("a", "eth-r1", "10.0.1.1/30", "fd00:1::1/64", "r1", "eth-a", "10.0.1.2/30", "fd00:1::2/64"),
    ("r1", "eth-r2", "10.0.2.1/30", "fd00:2::1/64", "r2", "eth-r1", "10.0.2.2/30",
     "fd00:2::2/64"),
    ("r2", "eth-b", "10.4.1.1/24", None, "b", "eth-r2", "10.4.1.2/24", None),
]
LOOPBACKS = {"a": "10.255.1.1", "r1": "10.255.0.1", "r2": "10.255.0.2"}
PLAIN_ROUTE = "10.4.1.0/24 via 10.0.1.2 dev eth-r1 src 10.255.1.1"
ROUTES = {
    "a": [PLAIN_ROUTE, "10.255.0.0/24 via 10.0.1.2 dev eth-r1",
          "-6 fc00::/16 via fd00:1::2 dev eth-r1"],
    "r1": ["10.4.1.0/24 via 10.0.2.2", "10.255.0.2/32 via 10.0.2.2", "10.255.1.1/32 via 10.0.1.1",
           "-6 fc00:2::/32 via fd00:2::2"],
    "r2": ["10.255.1.1/32 via 10.0.2.1", "10.255.0.1/32 via 10.0.2.1",
           "10.0.1.0/30 via 10.0.2.1"],
    "b": ["default via 10.4.1.1"],
}
SID_R1_DX4, SID_R1_END, SID_R2_DX4 = "fc00:1::d4", "fc00:1::e", "fc00:2::d4"
DEFAULT_MODES = ["plain", "iplb-ipip", "iplb-gre", "iplb-gue", "srv6", "vxlan", "iplb-ipip-2",
                 "srv6-2"]
ALL_MODES = DEFAULT_MODES + ["iplb-idle"]
HEADERS = {"plain": "-", "iplb-ipip": "20 B", "iplb-gre": "24 B", "iplb-gue": "28 B",
           "srv6": "64 B", "vxlan": "50 B", "iplb-ipip-2": "40 B", "srv6-2": "80 B",
           "iplb-idle": "-"}


class Failed(Exception):
    pass


def ns(node):
    return "%s-%s" % (TAG, node)


def sh(*args, node=None, check=True, timeout=30):
    cmd = (["ip", "netns", "exec", ns(node)] if node else []) + [str(a) for a in args]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failed("timed out after %d s: %s" % (timeout, " ".join(cmd)))
    if check and result.returncode != 0:
        raise Failed("%s: %s%s" % (" ".join(cmd), result.stdout, result.stderr))
    return result


def ipr(node, spec, verb="replace"):
    """ip [-6] route VERB SPEC in node's namespace (SPEC may start with -6)."""
    words = spec.split()
    family = []
    if words[0] == "-6":
        family, words = ["-6"], words[1:]
    sh("ip", "-n", ns(node), *family, "route", verb, *words)


class Bench:
    def __init__(self, iplbctl):
        self.iplbctl = iplbctl
        self.created = []
        self.servers = []

    # ---- iplbctl -------------------------------------------------------

    def ctl(self, node, *args, json_out=False):
        # -N enters only the network namespace: the pins stay on the host's
        # bpffs (ip netns exec would take a bpffs mounted there away).
        flags = ["-j"] if json_out else []
        result = sh(self.iplbctl, *flags, "-N", ns(node), "-n", ns(node), *args)
        return json.loads(result.stdout) if json_out else result.stdout

    def purge(self, node):
        sh(self.iplbctl, "-n", ns(node), "purge", check=False)

    # ---- topology ------------------------------------------------------

    def build(self):
        for node in NODES:
            sh("ip", "netns", "add", ns(node))
            self.created.append(node)
            sh("ip", "-n", ns(node), "link", "set", "dev", "lo", "up")
            for key in ("net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1",
                        "net.ipv6.conf.all.seg6_enabled=1",
                        "net.ipv6.conf.default.seg6_enabled=1"):
                sh("sysctl", "-qw", key, node=node)
        for node, ifname, v4, v6, peer, peer_if, peer_v4, peer_v6 in LINKS:
            sh("ip", "link", "add", ifname, "netns", ns(node), "type", "veth", "peer", "name",
               peer_if, "netns", ns(peer))
            for n, dev, a4, a6 in ((node, ifname, v4, v6), (peer, peer_if, peer_v4, peer_v6)):
                sh("ip", "-n", ns(n), "addr", "add", a4, "dev", dev)
                if a6:
                    sh("ip", "-n", ns(n), "-6", "addr", "add", a6, "dev", dev, "nodad")
                sh("ip", "-n", ns(n), "link", "set", "dev", dev, "up")
                sh("sysctl", "-qw", "net.ipv6.conf.%s.seg6_enabled=1" % dev, node=n)
        for node, address in LOOPBACKS.items():
            sh("ip", "-n", ns(node), "addr", "add", address + "/32", "dev", "lo")
        # A veth's carrier comes up later (linkwatch); until then IPv6 sends
        # no neighbour solicitations, and a first SRv6 packet finds its next
        # hop FAILED ("No route to host").
        deadline = time.monotonic() + 10
        for node in NODES:
            while any(link["operstate"] != "UP" for link in json.loads(
                    sh("ip", "-n", ns(node), "-j", "link", "show", "type", "veth").stdout)):
                if time.monotonic() > deadline:
                    raise Failed("the veth links of %s did not come up" % node)
                time.sleep(0.1)
        for node, routes in ROUTES.items():
            for route in routes:
                ipr(node, route, "add")
        # Keep a's gateway resolved, as the datapath tests do (a FIB
        # redirect only uses resolved neighbours; harmless otherwise).
        sh("ip", "-n", ns("a"), "neigh", "replace", "10.0.1.2", "dev", "eth-r1", "managed")
        deadline = time.monotonic() + 10
        while "REACHABLE" not in sh("ip", "-n", ns("a"), "neigh", "show", "10.0.1.2").stdout:
            if time.monotonic() > deadline:
                raise Failed("a's gateway 10.0.1.2 never resolved")
            time.sleep(0.1)

    def srv6_missing(self):
        """Why this kernel cannot run the SRv6 modes (what it lacks), or
        None: iplbctl srv6 probe in a."""
        result = sh(self.iplbctl, "-j", "-N", ns("a"), "srv6", "probe", check=False)
        if result.returncode == 0:
            return None
        try:
            return json.loads(result.stdout)["reason"]
        except (ValueError, KeyError):
            raise Failed("iplbctl srv6 probe: %s%s" % (result.stdout, result.stderr))

    def teardown(self):
        for server in self.servers:
            server.kill()
            try:
                server.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.servers = []
        for node in ("a", "r1", "r2"):
            self.purge(node)
        for node in self.created:
            sh("ip", "netns", "del", ns(node), check=False)
        self.created = []

    # ---- modes ---------------------------------------------------------
    # up() configures a mode on top of the plain topology, down() restores
    # plain, tunnelled() counts what went through the mode's tunnel.

    def up(self, mode):
        if mode == "plain":
            return
        if mode.startswith("iplb-"):
            relays = ["r1", "r2"] if mode == "iplb-ipip-2" else ["r1"]
            encap = {"iplb-gre": "gre", "iplb-gue": "gue"}.get(mode, "ipip")
            prefix = "10.9.0.0/16" if mode == "iplb-idle" else "10.4.1.0/24"
            self.ctl("a", "attach", "host", "eth-r1")
            self.ctl("a", "config", "source", LOOPBACKS["a"])
            self.ctl("a", "prefix", "add", prefix, "relay",
                     ",".join(LOOPBACKS[r] for r in relays), "encap", encap)
            for r in relays:
                self.ctl(r, "attach", "relay", "eth-a" if r == "r1" else "eth-r1")
                self.ctl(r, "relay", "add", LOOPBACKS[r])
                self.ctl(r, "relay", "source", "add", LOOPBACKS["a"])  # a's tunnel source
        elif mode == "srv6":
            ipr("r1", "-6 %s/128 encap seg6local action End.DX4 nh4 0.0.0.0 count dev eth-r2"
                % SID_R1_DX4)
            ipr("a", "10.4.1.0/24 encap seg6 mode encap segs %s dev eth-r1 src %s"
                % (SID_R1_DX4, LOOPBACKS["a"]))
        elif mode == "srv6-2":
            ipr("r1", "-6 %s/128 encap seg6local action End count dev eth-r2" % SID_R1_END)
            ipr("r2", "-6 %s/128 encap seg6local action End.DX4 nh4 0.0.0.0 count dev eth-b"
                % SID_R2_DX4)
            ipr("a", "10.4.1.0/24 encap seg6 mode encap segs %s,%s dev eth-r1 src %s"
                % (SID_R1_END, SID_R2_DX4, LOOPBACKS["a"]))
        elif mode == "vxlan":
            for node, local, remote, dev, address in (
                    ("a", "10.0.1.1", "10.0.1.2", "eth-r1", "10.99.0.1/30"),
                    ("r1", "10.0.1.2", "10.0.1.1", "eth-a", "10.99.0.2/30")):
                sh("ip", "-n", ns(node), "link", "add", "vx0", "type", "vxlan", "id", "42",
                   "local", local, "remote", remote, "dstport", "4789", "dev", dev)
                sh("ip", "-n", ns(node), "addr", "add", address, "dev", "vx0")
                sh("ip", "-n", ns(node), "link", "set", "dev", "vx0", "up")
            ipr("a", "10.4.1.0/24 via 10.99.0.2 dev vx0 src %s" % LOOPBACKS["a"])
        else:
            raise Failed("unknown mode " + mode)

    def down(self, mode):
        if mode.startswith("iplb-"):
            for node in ("a", "r1", "r2"):
                self.purge(node)
        elif mode in ("srv6", "srv6-2", "vxlan"):
            ipr("a", PLAIN_ROUTE)
            for node, sid in (("r1", SID_R1_DX4), ("r1", SID_R1_END), ("r2", SID_R2_DX4)):
                sh("ip", "-n", ns(node), "-6", "route", "del", sid + "/128", check=False)
            for node in ("a", "r1"):
                sh("ip", "-n", ns(node), "link", "del", "dev", "vx0", check=False)

    def tunnelled(self, mode):
        """Packets the mode's tunnel end counted (0 for plain)."""
        if mode.startswith("iplb-"):
            last = "r2" if mode == "iplb-ipip-2" else "r1"
            return self.ctl(last, "relay", "show", json_out=True)["decapsulated"]
        if mode in ("srv6", "srv6-2"):
            node, sid = ("r1", SID_R1_DX4) if mode == "srv6" else ("r2", SID_R2_DX4)
            out = sh("ip", "-n", ns(node), "-s", "-6", "route", "show", sid + "/128").stdout
            words = out.split()
            return int(words[words.index("packets") + 1]) if "packets" in words else 0
        if mode == "vxlan":
            out = sh("ip", "-n", ns("r1"), "-j", "-s", "link", "show", "dev", "vx0").stdout
            return json.loads(out)[0]["stats64"]["rx"]["packets"]
        return 0

    # ---- traffic -------------------------------------------------------

    def start_server(self):
        for server in self.servers:
            server.kill()
            server.wait(timeout=5)
        self.servers = [subprocess.Popen(
            ["ip", "netns", "exec", ns("b"), "iperf3", "-s", "-p", str(PORT)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        deadline = time.monotonic() + 10
        while ":%d" % PORT not in sh("ss", "-Htln", node="b").stdout:
            if time.monotonic() > deadline:
                raise Failed("iperf3 server did not start in b")
            time.sleep(0.05)

    def iperf(self, seconds, udp):
        args = ["iperf3", "-c", DST, "-p", PORT, "-t", seconds, "-J"]
        if udp:
            args += ["-u", "-l", "64", "-b", "0"]
        else:
            args += ["-O", "1"]  # slow start: the first second is not counted
        for attempt in range(2):
            result = sh(*args, node="a", check=False, timeout=seconds + 30)
            try:
                out = json.loads(result.stdout)
            except ValueError:
                out = {"error": result.stdout + result.stderr}
            if "error" not in out:
                if udp:
                    received = out["end"]["sum_received"]
                    return received["bytes"] / 64 / received["seconds"]
                return out["end"]["sum_received"]["bits_per_second"] / 1e9
            if attempt == 0:  # a wedged server: start it again, once
                self.start_server()
        raise Failed("iperf3 failed: %s" % out["error"])


# ---- BPF run-time statistics --------------------------------------------

BPF_SYSCALL = {"x86_64": 321, "aarch64": 280}.get(platform.machine())
BPF_ENABLE_STATS, BPF_STATS_RUN_TIME = 32, 0


def enable_bpf_stats():
    """An fd that keeps BPF run-time statistics on until it is closed (so
    they go off again even if this script dies), or None."""
    if BPF_SYSCALL is None:
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    attr = ctypes.create_string_buffer(8)  # union bpf_attr { __u32 type; }
    fd = libc.syscall(BPF_SYSCALL, BPF_ENABLE_STATS, attr, ctypes.c_uint(8))
    return fd if fd >= 0 else None


def prog_stats(prog_id):
    out = json.loads(sh("bpftool", "-j", "prog", "show", "id", prog_id).stdout)
    return out.get("run_time_ns", 0), out.get("run_cnt", 0)


def attached_prog(bench, node, pin):
    """The id of the program behind one of the instance's pinned TCX links."""
    path = os.path.join(bench.ctl(node, "show", json_out=True)["pins"], pin)
    return json.loads(sh("bpftool", "-j", "link", "show", "pinned", path).stdout)["prog_id"]


def measure_bpf_stats(bench, mode, seconds):
    """ns per run of each iplb program during one UDP and one TCP run, or
    None if statistics cannot be turned on."""
    progs = {"host": attached_prog(bench, "a", "link-host-egress-eth-r1"),
             "r1": attached_prog(bench, "r1", "link-relay-ingress-eth-a")}
    if mode == "iplb-ipip-2":
        progs["r2"] = attached_prog(bench, "r2", "link-relay-ingress-eth-r1")
    fd = enable_bpf_stats()
    if fd is None:
        return None
    result = {}
    try:
        for udp in (True, False):
            before = {k: prog_stats(v) for k, v in progs.items()}
            rate = bench.iperf(seconds, udp=udp)
            after = {k: prog_stats(v) for k, v in progs.items()}
            proto = "udp" if udp else "tcp"
            result[proto + "_pps" if udp else proto + "_gbps"] = rate
            for k in progs:
                runs = after[k][1] - before[k][1]
                result["%s_%s_ns" % (proto, k)] = (
                    (after[k][0] - before[k][0]) / runs if runs else None)
    finally:
        os.close(fd)
    return result


# ---- report --------------------------------------------------------------

def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": values}


def markdown(results, args, stats, notes):
    lines = ["### veth, a -> r1 -> r2 -> b (iperf3 %s s, %d repetitions)" % (
        args.seconds, args.reps), ""]
    lines.append("Kernel %s, %d CPUs. Median (min-max) over repetitions; ratio = median / "
                 "plain's median. UDP: 64-byte datagrams at full speed, packets/s received "
                 "by b." % (platform.release(), os.cpu_count()))
    lines.append("")
    lines.append("| mode | overhead a->r1 | TCP Gbit/s | TCP vs plain | UDP kpps | "
                 "UDP vs plain |")
    lines.append("|---|---|---:|---:|---:|---:|")
    plain = results.get("plain")
    for mode, r in results.items():
        tcp, udp = r["tcp_gbps"], r["udp_pps"]
        ratio_tcp = "%.2f" % (tcp["median"] / plain["tcp_gbps"]["median"]) if plain else ""
        ratio_udp = "%.2f" % (udp["median"] / plain["udp_pps"]["median"]) if plain else ""
        lines.append("| %s | %s | %.2f (%.2f-%.2f) | %s | %.0f (%.0f-%.0f) | %s |" % (
            mode, HEADERS[mode], tcp["median"], tcp["min"], tcp["max"], ratio_tcp,
            udp["median"] / 1e3, udp["min"] / 1e3, udp["max"] / 1e3, ratio_udp))
    if stats:
        lines += ["", "eBPF run time per program run (BPF_ENABLE_STATS, one UDP and one TCP run "
                  "of %s s per mode; includes the kernel's clock reads). UDP: per 64-byte "
                  "packet; TCP: per skb, mostly GSO super-packets; iplb-idle: b is not in "
                  "the table, the programs pass every packet on." % args.seconds, "",
                  "| mode | UDP kpps | UDP: host ns | relay r1 ns | relay r2 ns | "
                  "TCP Gbit/s | TCP: host ns | relay r1 ns | relay r2 ns |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for mode, s in stats.items():
            def cell(k):
                return "%.0f" % s[k] if s.get(k) is not None else ""
            lines.append("| %s | %.0f | %s | %s | %s | %.2f | %s | %s | %s |" % (
                mode, s["udp_pps"] / 1e3, cell("udp_host_ns"), cell("udp_r1_ns"),
                cell("udp_r2_ns"), s["tcp_gbps"], cell("tcp_host_ns"), cell("tcp_r1_ns"),
                cell("tcp_r2_ns")))
    if plain and "iplb-ipip" in results:
        ip = results["iplb-ipip"]
        t = ip["tcp_gbps"]["median"] / plain["tcp_gbps"]["median"]
        u = ip["udp_pps"]["median"] / plain["udp_pps"]["median"]
        lines += ["", "Targets: iplb-ipip TCP >= 90%% of plain: %.1f%% (%s); UDP pps >= 80%% "
                  "of plain: %.1f%% (%s)." % (100 * t, "met" if t >= 0.9 else "NOT met",
                                              100 * u, "met" if u >= 0.8 else "NOT met")]
        for other in ("srv6", "vxlan"):
            if other in results:
                o = results[other]
                ok = (ip["tcp_gbps"]["median"] >= o["tcp_gbps"]["median"] and
                      ip["udp_pps"]["median"] >= o["udp_pps"]["median"])
                lines.append("iplb-ipip at least as fast as %s (TCP and UDP medians): %s." % (
                    other, "yes" if ok else "NO"))
    lines += [""] + ["- " + n for n in notes]
    return "\n".join(lines)


def ensure_iperf3():
    if shutil.which("iperf3"):
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for update in (False, True):
        if update:
            subprocess.run(["apt-get", "update"], env=env, timeout=600, check=False)
        subprocess.run(["apt-get", "install", "-y", "iperf3"], env=env, timeout=600,
                       check=False, stdout=subprocess.DEVNULL)
        if shutil.which("iperf3"):
            return
    sys.exit("veth_compare: iperf3 is missing and apt-get could not install it")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iplbctl", default="tools/iplbctl/iplbctl")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--modes", default=",".join(DEFAULT_MODES),
                        help="of " + ",".join(ALL_MODES))
    parser.add_argument("--no-bpf-stats", action="store_true")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args()
    if args.reps < 1 or args.seconds < 1:
        sys.exit("veth_compare: --reps and --seconds must be at least 1")
    modes = args.modes.split(",")
    for m in modes:
        if m not in ALL_MODES:
            sys.exit("veth_compare: unknown mode %s (known: %s)" % (m, ", ".join(ALL_MODES)))
    if os.geteuid() != 0:
        sys.exit("veth_compare: needs root (network namespaces, eBPF)")
    if not os.access(args.iplbctl, os.X_OK):
        sys.exit("veth_compare: no iplbctl at %s (make tools/iplbctl/iplbctl)" % args.iplbctl)
    args.iplbctl = os.path.abspath(args.iplbctl)
    ensure_iperf3()

    # Ctrl-C raises KeyboardInterrupt; make TERM and HUP unwind too, so that
    # the finally below removes what was made.
    def stop(signum, _frame):
        raise SystemExit("veth_compare: signal %d, cleaning up" % signum)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)

    bench = Bench(args.iplbctl)
    stats, skipped = {}, {}
    started, load_before = time.monotonic(), os.getloadavg()
    try:
        bench.build()
        # SRv6 lightweight tunnels are an optional kernel feature: without
        # them the SRv6 modes are left out, said so, and the rest compared.
        missing = bench.srv6_missing()
        if missing:
            for mode in [m for m in modes if m.startswith("srv6")]:
                skipped[mode] = missing
                modes.remove(mode)
                print("%s: skipped: %s" % (mode, missing), file=sys.stderr, flush=True)
        raw = {m: {"tcp_gbps": [], "udp_pps": [], "tunnelled": []} for m in modes}
        bench.start_server()
        for rep in range(args.reps):
            order = modes[rep % len(modes):] + modes[:rep % len(modes)]
            for mode in order:
                bench.up(mode)
                try:
                    before = bench.tunnelled(mode)
                    tcp = bench.iperf(args.seconds, udp=False)
                    udp = bench.iperf(args.seconds, udp=True)
                    through = bench.tunnelled(mode) - before
                finally:
                    bench.down(mode)
                if mode not in ("plain", "iplb-idle") and through < 1000:
                    raise Failed("%s: only %d packets went through the tunnel" % (mode, through))
                if mode == "iplb-idle" and through != 0:
                    raise Failed("iplb-idle: %d packets were tunnelled" % through)
                raw[mode]["tcp_gbps"].append(tcp)
                raw[mode]["udp_pps"].append(udp)
                raw[mode]["tunnelled"].append(through)
                print("rep %d/%d %-12s TCP %6.2f Gbit/s  UDP %7.0f pps  tunnelled %d" % (
                    rep + 1, args.reps, mode, tcp, udp, through), file=sys.stderr, flush=True)
        if not args.no_bpf_stats:
            for mode in modes + ([] if "iplb-idle" in modes else ["iplb-idle"]):
                if mode.startswith("iplb-"):
                    bench.up(mode)
                    try:
                        s = measure_bpf_stats(bench, mode, args.seconds)
                    finally:
                        bench.down(mode)
                    if s:
                        stats[mode] = s
    finally:
        bench.teardown()

    results = {m: {"tcp_gbps": summary(r["tcp_gbps"]), "udp_pps": summary(r["udp_pps"]),
                   "tunnelled_packets": r["tunnelled"]} for m, r in raw.items()}
    notes = [
        "Topology: veth a-r1-r2-b, MTU 1500, default offloads, qdisc noqueue; a's source "
        "address is its loopback 10.255.1.1; replies b -> a are routed plainly in every mode.",
        "iplb: `iplbctl attach host eth-r1`, `config source 10.255.1.1` (FIB redirect off), "
        "`prefix add 10.4.1.0/24 relay 10.255.0.1 [encap gre|gue]` (iplb-ipip-2: relay "
        "10.255.0.1,10.255.0.2); relays: `attach relay <ingress dev>`, `relay add <loopback>`, "
        "`relay source add 10.255.1.1` (a's tunnel source).",
        "SRv6: a `ip route replace 10.4.1.0/24 encap seg6 mode encap segs fc00:1::d4 dev eth-r1 "
        "src 10.255.1.1`; r1 `ip -6 route replace fc00:1::d4/128 encap seg6local action "
        "End.DX4 nh4 0.0.0.0 count dev eth-r2` (nh4 0.0.0.0: the inner destination's route; "
        "srv6-2: segs fc00:1::e,fc00:2::d4, r1 End, r2 End.DX4); seg6_enabled=1 everywhere.",
        "VXLAN: `ip link add vx0 type vxlan id 42 local 10.0.1.1 remote 10.0.1.2 dstport 4789 "
        "dev eth-r1` on a (mirrored on r1; defaults: udpcsum, MTU 1450), 10.99.0.1/30 - "
        "10.99.0.2/30 on vx0, a routes 10.4.1.0/24 via 10.99.0.2 dev vx0 src 10.255.1.1: "
        "one tunnel hop a -> r1, like iplb-ipip.",
        "Every tunnelled measurement checked its tunnel end's counter (iplb relay "
        "decapsulations, seg6local packets, vx0 rx packets).",
        "Run time %.0f s; load average (1 min) %.2f at the start, %.2f at the end (this "
        "benchmark itself keeps about 2 busy)." % (time.monotonic() - started, load_before[0],
                                                   os.getloadavg()[0]),
    ]
    notes += ["%s: not run, %s." % (mode, why) for mode, why in skipped.items()]
    print(markdown(results, args, stats, notes))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"seconds": args.seconds, "reps": args.reps, "kernel": platform.release(),
                       "load_before": load_before, "results": results, "bpf_stats": stats,
                       "skipped": skipped},
                      f, indent=2)


if __name__ == "__main__":
    try:
        main()
    except Failed as e:
        sys.exit("veth_compare: %s" % e)
