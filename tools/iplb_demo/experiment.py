# SPDX-License-Identifier: GPL-2.0-or-later
"""The comparison: the same host pairs, the same links, routed three ways.

    shortest   OSPF with one next hop (`maximum-paths 1`), no iplb
    ecmp       OSPF ECMP (`no maximum-paths`), switches hash on ports
    iplb       ECMP underlay, and iplbd's eBPF datapath on every host: each
               flow (each MPTCP subflow) takes one of k relay lists

Each way runs plain TCP (iperf3 -P N, N flows per pair) and MPTCP (iperf3
under mptcpize, N subflows per connection: one per local address of the
host's MPTCP endpoints). Every host sends to one other host (a random
permutation) at once; every link is shaped to the same rate, so collisions
on shared links are what limits throughput.
"""

import json
import random
import subprocess
import time

from .lab import MPTCP_PORT, TCP_PORT, log, next_hops, run

MODES = ("shortest", "ecmp", "iplb")
TRANSPORTS = ("tcp", "mptcp")


def permutation(hosts, seed):
    """Every host sends to one other and receives from one (a derangement)."""
    rng = random.Random(seed)
    while True:
        targets = list(hosts)
        rng.shuffle(targets)
        if all(a != b for a, b in zip(hosts, targets)):
            return list(zip(hosts, targets))


class Experiment:
    def __init__(self, lab, k, seconds, seed):
        self.lab, self.k, self.seconds, self.seed = lab, k, seconds, seed
        self.fabric = lab.fabric
        self.pairs = permutation(self.fabric.hosts, seed)

    # --- routing modes -----------------------------------------------------
    def _ospf_nodes(self):
        return [n for n in self.fabric.nodes if self.lab.runs_ospf(n)]

    def _parallel_vtysh(self, nodes, commands):
        procs = []
        for node in nodes:
            args = self.lab.vtysh_args(node, *commands(node))
            procs.append((node, subprocess.Popen(args, stdout=subprocess.PIPE,
                                                 stderr=subprocess.STDOUT, text=True)))
        for node, proc in procs:
            out, _ = proc.communicate()
            if proc.returncode != 0 or "%" in out:
                raise RuntimeError("vtysh on %s: %s" % (node, out.strip()))

    def switch_routes(self):
        """Every switch's OSPF routes: (switch, destination, next hops)."""
        return sorted((switch, route["dst"], tuple(sorted(next_hops(route))))
                      for switch in self.fabric.switches
                      for route in self.lab.kernel_routes(switch, "proto", "ospf"))

    def set_mode(self, mode):
        lab = self.lab
        max_paths = "maximum-paths 1" if mode == "shortest" else "no maximum-paths"
        self._parallel_vtysh(self._ospf_nodes(),
                             lambda n: ["configure terminal", "router ospf", max_paths])
        self._wait_routes_settled(multipath=mode != "shortest")
        if mode == "iplb":
            self._parallel_vtysh(self.fabric.hosts, lambda h: [
                "configure terminal", "router iplb", "path k %d" % self.k, "datapath bpf",
                "datapath interface eth-%s" % self.fabric.uplink(h).peer(h),
                "datapath mtu 1500"])
            lab.wait_for("hosts with their iplb table installed", self._hosts_without_table,
                         timeout=60)
        else:
            # The interface first: YANG allows interfaces only with a backend.
            self._parallel_vtysh(self.fabric.hosts, lambda h: [
                "configure terminal", "router iplb",
                "no datapath interface eth-%s" % self.fabric.uplink(h).peer(h), "no datapath"])

    def _wait_routes_settled(self, multipath, timeout=60, quiet_for=3.0):
        """Until the switches' routes have (or lack) multiple next hops and
        have not changed for quiet_for seconds: a run measures one routing,
        not the transition from the previous one."""
        last, since = None, time.monotonic()
        deadline = since + timeout
        while time.monotonic() < deadline:
            now = self.switch_routes()
            has_multipath = any(len(hops) > 1 for _, _, hops in now)
            if now != last:
                last, since = now, time.monotonic()
            elif has_multipath == multipath and time.monotonic() - since >= quiet_for:
                return
            time.sleep(0.5)
        raise RuntimeError("the switches' routes did not settle in %d s" % timeout)

    def _hosts_without_table(self):
        missing = []
        for host in self.fabric.hosts:
            routes = json.loads(self.lab.iplbctl(host, "-j", "prefix", "show") or "[]")
            prefixes = {r["prefix"] for r in routes}
            others = {self.fabric.loopback(h) + "/32" for h in self.fabric.hosts if h != host}
            if not others <= prefixes:
                missing.append(host)
        return missing

    # --- traffic -------------------------------------------------------------
    def start_servers(self):
        """iperf3 servers on every host, unless an earlier run left them."""
        for host in self.fabric.hosts:
            listening = self.lab.exec_in(host, "ss", "-Hltn")
            for port, wrapper in ((TCP_PORT, []), (MPTCP_PORT, ["mptcpize", "run"])):
                if ":%d " % port not in listening:
                    self.lab.exec_in(host, *wrapper, "iperf3", "-s", "-D", "-p", str(port))
        time.sleep(0.5)

    def link_bytes(self):
        """Bytes sent so far on every directed switch-to-switch link."""
        out = {}
        for switch in self.fabric.switches:
            for dev in json.loads(run("ip", "-n", self.lab.ns(switch), "-j", "-s", "link", "show")):
                peer = dev["ifname"][len("eth-"):]
                if dev["ifname"].startswith("eth-") and peer in self.fabric.switches:
                    out[(switch, peer)] = dev["stats64"]["tx"]["bytes"]
        return out

    def tunnelled_bytes(self):
        """Bytes the hosts' iplb datapaths encapsulated so far (0 where none
        was ever attached)."""
        total = 0
        for host in self.fabric.hosts:
            out = self.lab.iplbctl(host, "-j", "stats", check=False)
            if out.strip():
                total += sum(prefix["bytes"] for prefix in json.loads(out))
        return total

    def mptcp_joins(self):
        total = 0
        for host in self.fabric.hosts:
            out = self.lab.exec_in(host, "nstat", "-az", "MPTcpExtMPJoinSynAckRx")
            total += sum(int(line.split()[1]) for line in out.splitlines()
                         if line.startswith("MPTcpExtMPJoinSynAckRx"))
        return total

    def run_traffic(self, transport):
        streams = self.fabric.subflows
        before, joins_before = self.link_bytes(), self.mptcp_joins()
        tunnelled_before = self.tunnelled_bytes()
        procs = []
        for src, dst in self.pairs:
            args = ["ip", "netns", "exec", self.lab.ns(src)]
            if transport == "mptcp":
                args += ["mptcpize", "run", "iperf3", "-p", str(MPTCP_PORT)]
            else:
                args += ["iperf3", "-p", str(TCP_PORT), "-P", str(streams)]
            args += ["-c", self.fabric.loopback(dst), "-B", self.fabric.loopback(src),
                     "-t", str(self.seconds), "-J"]
            procs.append((src, dst, subprocess.Popen(args, stdout=subprocess.PIPE,
                                                     stderr=subprocess.PIPE, text=True)))
        pair_mbit, failed = {}, []
        for src, dst, proc in procs:
            out, err = proc.communicate(timeout=self.seconds + 60)
            try:
                result = json.loads(out)
                bits = result["end"]["sum_received"]["bits_per_second"]
                pair_mbit["%s>%s" % (src, dst)] = bits / 1e6
            except (ValueError, KeyError):
                failed.append("%s>%s: %s" % (src, dst, (err or out).strip()[:200]))
        after = self.link_bytes()
        load = {"%s>%s" % key: after[key] - before[key] for key in after}
        # A link "carried traffic" when it moved at least 2% of what it could.
        threshold = 0.02 * self.fabric.rate_mbit * 1e6 / 8 * self.seconds
        return {
            "total_mbit": sum(pair_mbit.values()),
            "pairs_mbit": pair_mbit,
            "failed": failed,
            "links_used": sum(1 for b in load.values() if b >= threshold),
            "links_total": len(load),
            "link_bytes": load,
            "mptcp_joins": self.mptcp_joins() - joins_before,
            "tunnelled_bytes": self.tunnelled_bytes() - tunnelled_before,
        }

    def run(self, modes=MODES, transports=TRANSPORTS):
        results = {}
        for mode in modes:
            log("==> Routing: %s" % describe(mode, self.k))
            self.set_mode(mode)
            for transport in transports:
                label = transport_label(transport, self.fabric.subflows)
                log("    %s, %d s, %d pairs at once ..." % (label, self.seconds, len(self.pairs)))
                result = self.run_traffic(transport)
                results["%s/%s" % (mode, transport)] = result
                log("    %.1f Mbit/s in total, %d of %d directed switch links used%s" % (
                    result["total_mbit"], result["links_used"], result["links_total"],
                    (", %d MPTCP subflows joined" % result["mptcp_joins"])
                    if transport == "mptcp" else ""))
                for failure in result["failed"]:
                    log("    failed: %s" % failure)
        return results


def describe(mode, k):
    return {"shortest": "shortest path only (OSPF maximum-paths 1)",
            "ecmp": "ECMP (OSPF, hashing on ports)",
            "iplb": "iplb, k=%d relay lists per destination, over ECMP" % k}[mode]


def transport_label(transport, subflows):
    return ("MPTCP, %d subflows" if transport == "mptcp" else "TCP, %d flows") % subflows


def table(results, modes, transports, subflows):
    """The summary the demo prints."""
    lines = ["%-10s %-20s %12s %12s %14s" % ("routing", "traffic", "Mbit/s", "vs shortest",
                                             "links used")]
    for transport in transports:
        base = results.get("shortest/%s" % transport, {}).get("total_mbit")
        for mode in modes:
            result = results.get("%s/%s" % (mode, transport))
            if not result:
                continue
            ratio = "%.2f" % (result["total_mbit"] / base) if base else "-"
            lines.append("%-10s %-20s %12.1f %12s %8d of %d" % (
                mode, transport_label(transport, subflows), result["total_mbit"], ratio,
                result["links_used"], result["links_total"]))
    return "\n".join(lines)
