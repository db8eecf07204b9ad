# SPDX-License-Identifier: GPL-2.0-or-later
"""The comparison: the same host pairs, the same links, routed three ways.

    shortest   OSPF with one next hop (`maximum-paths 1`), no iplb
    ecmp       OSPF ECMP (`no maximum-paths`), switches hash on ports
    iplb       ECMP underlay, and iplbd's eBPF datapath on every host: each
               flow (each MPTCP subflow) takes one of k relay lists

Each way runs plain TCP (N flows per pair) and MPTCP (one connection per
pair, N subflows: one per local address of the host's MPTCP endpoints), as
bulk transfers of bulk.py. Every host sends to one other host (a random
permutation) at once; every link is shaped to the same rate, so collisions
on shared links are what limits throughput.
"""

import json
import os
import random
import subprocess
import time

from .fabric import CLIENT, LB_NODES, VIP, VIP_PORT
from .lab import BULK_PORT, PY, WEB, log, next_hops, run

BULK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bulk.py")

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
    def __init__(self, lab, k, seconds, seed, congestion="cubic"):
        self.lab, self.k, self.seconds, self.seed = lab, k, seconds, seed
        # The senders' congestion control, set on every socket: never the
        # machine's default, which differs between machines (bbr on some:
        # docs/DEVELOPMENT.md, "The demo's senders run cubic").
        self.congestion = congestion
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
        self.wait_routes_settled(multipath=mode != "shortest")
        if mode == "iplb":
            self._parallel_vtysh(self.fabric.hosts, lambda h: [
                "configure terminal", "router iplb", "path k %d" % self.k, "datapath bpf",
                "datapath interface eth-%s" % self.fabric.uplink(h).peer(h),
                "datapath mtu 1500"])
            lab.wait_for("hosts with their iplb table installed", self._hosts_without_table,
                         timeout=60)
        else:
            # The interface first: YANG allows interfaces only with an engine.
            self._parallel_vtysh(self.fabric.hosts, lambda h: [
                "configure terminal", "router iplb",
                "no datapath interface eth-%s" % self.fabric.uplink(h).peer(h), "no datapath"])

    def wait_for_k(self, timeout=60):
        """Until every host's iplbd runs with path k = self.k and its table
        is installed: a run measures this k, not the previous one."""
        def not_there():
            late = []
            for host in self.fabric.hosts:
                config = self.lab.vtysh(host, "show running-config", check=False)
                # 8, the default, is not shown.
                k = 8 if "path k " not in config else int(config.split("path k ")[1].split()[0])
                if k != self.k:
                    late.append(host)
            return late + self._hosts_without_table()
        self.lab.wait_for("hosts with k = %d applied" % self.k, not_there, timeout=timeout)
        # iplbd recomputes within its debounce (lsdb debounce, 50 ms) and
        # writes the table right after: a margin, not a poll of its counters.
        time.sleep(2)

    def wait_routes_settled(self, multipath, timeout=60, quiet_for=3.0):
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
        """A bulk.py sink on every host (its MPTCP listener takes plain TCP
        too), unless an earlier run left one."""
        for host in self.fabric.hosts:
            if ":%d " % BULK_PORT not in self.lab.exec_in(host, "ss", "-Hltn"):
                subprocess.Popen(["ip", "netns", "exec", self.lab.ns(host), PY, BULK, "serve",
                                  str(BULK_PORT)], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 start_new_session=True)
        self.lab.wait_for("hosts without a traffic sink", self._hosts_without_sink, timeout=10)

    def _hosts_without_sink(self):
        return [h for h in self.fabric.hosts
                if ":%d " % BULK_PORT not in self.lab.exec_in(h, "ss", "-Hltn")]

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
        cpu_before = cpu_times()
        procs = []
        for src, dst in self.pairs:
            args = ["ip", "netns", "exec", self.lab.ns(src), PY, BULK, "send",
                    self.fabric.loopback(dst), str(BULK_PORT), str(self.seconds),
                    "--bind", self.fabric.loopback(src)]
            # MPTCP: one connection, its subflows from the host's endpoints.
            args += (["--mptcp", "--subflows", str(streams - 1)] if transport == "mptcp"
                     else ["--flows", str(streams)])
            args += ["--congestion", self.congestion]
            procs.append((src, dst, subprocess.Popen(args, stdout=subprocess.PIPE,
                                                     stderr=subprocess.PIPE, text=True)))
        pair_mbit, failed, joined, congestion = {}, [], {}, set()
        for src, dst, proc in procs:
            out, err = proc.communicate(timeout=self.seconds + 60)
            pair = "%s>%s" % (src, dst)
            try:
                result = json.loads(out)
            except ValueError:
                failed.append("%s: %s" % (pair, (err or out).strip()))
                continue
            problems = [result["error"]] if "error" in result else result["errors"]
            if problems:
                failed.append("%s: %s" % (pair, "; ".join(problems)))
            else:
                pair_mbit[pair] = result["bits_per_second"] / 1e6
                joined[pair] = result.get("subflows_joined", [])
                congestion.update(result.get("congestion", []))
        cpu_after = cpu_times()
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
            # Extra subflows each connection had when its timed run began.
            "subflows_joined": joined,
            # The senders' congestion control, as their sockets reported it.
            "congestion": sorted(congestion),
            "tunnelled_bytes": self.tunnelled_bytes() - tunnelled_before,
            # The machine's CPUs busy during the run (all of them, 0-1): if
            # near 1, the CPUs and not the links limited the run.
            "cpu_busy": busy_share(cpu_before, cpu_after),
        }

    # --- the VIP ---------------------------------------------------------------
    def replies_tunnelled(self):
        """Per backend: what its iplb datapath tunnelled toward the client's
        network (its replies), in bytes, and per relay list in packets."""
        prefix = self.fabric.client_prefix()
        out = {}
        for host in self.fabric.backends():
            shown = self.lab.iplbctl(host, "-j", "stats", check=False)
            entry = next((p for p in json.loads(shown) if p["prefix"] == prefix),
                         None) if shown.strip() else None
            out[host] = {"bytes": entry["bytes"] if entry else 0,
                         "lists": {l["relays"]: l["packets"] for l in entry.get("lists", [])}
                         if entry else {}}
        return out

    def vip_requests(self, count):
        """`count` HTTP requests from the client, outside the fabric, to the
        VIP: through up's ECMP to lb1 and lb2, tunnelled by their muxes to
        the backends, whose replies go straight back to the client (over
        iplb's relay lists when its datapath is on)."""
        before = self.replies_tunnelled()
        out = self.lab.exec_in(CLIENT, PY, WEB, "get", VIP.split("/")[0], str(VIP_PORT),
                               str(count))
        result = json.loads(out)
        after = self.replies_tunnelled()
        result["replies_tunnelled"] = {
            host: {"bytes": after[host]["bytes"] - before[host]["bytes"],
                   "lists_used": sum(1 for relays, packets in after[host]["lists"].items()
                                     if packets > before[host]["lists"].get(relays, 0))}
            for host in after}
        return result

    def mux_mptcp(self):
        """Per LB node: joins its mux sent by token, joins dropped for a
        token not in its map yet, and those its mirror sent again."""
        out = {}
        for lb in LB_NODES:
            view = self.lab.vtysh_json(lb, "show iplb lb mptcp json")
            counters = view.get("counters", {})
            out[lb] = {"joins": sum(v.get("joins", 0) for v in view.get("vips", [])),
                       "unknownToken": sum(v.get("unknownToken", 0)
                                           for v in view.get("vips", [])),
                       "replayed": counters.get("replayed", 0)}
        return out

    def vip_mptcp(self, count):
        """`count` MPTCP connections from the client to the VIP, each with a
        second subflow from the client's second interface (which up's ECMP
        may send through the other LB node: the mux sends the join by the
        token it names); per backend the connections and their joined
        subflows, and what the muxes did."""
        before = self.mux_mptcp()
        out = self.lab.exec_in(CLIENT, PY, WEB, "mptcp-get", VIP.split("/")[0], str(VIP_PORT),
                               str(count))
        result = json.loads(out)
        after = self.mux_mptcp()
        result["muxes"] = {lb: {key: after[lb][key] - before[lb][key] for key in after[lb]}
                           for lb in after}
        return result

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


def sweep_ratios(runs, congestion, scheme):
    """A sweep's (iplb-demo sweep) throughput of `scheme` over shortest
    path's in the same permutation, under one congestion control: one ratio
    per permutation, in seed order."""
    total = {(r["seed"], r["scheme"]): r["total_mbit"] for r in runs
             if r["congestion"] == congestion}
    seeds = sorted({seed for seed, _ in total})
    return [total[(s, scheme)] / total[(s, "shortest")] for s in seeds
            if total[(s, "shortest")]]


def cpu_times():
    """(busy, total) jiffies of all CPUs, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields)


def busy_share(before, after):
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0


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
