# SPDX-License-Identifier: GPL-2.0-or-later
"""Nodes of the lab: network namespaces, FRR under watchfrr in each (FRR
pathspaces: node X is netns dc-X, config /etc/frr/dc-X, `vtysh -N dc-X`),
links shaped to a fixed rate, and removal of all of it."""

import json
import os
import shutil
import subprocess
import time

from .fabric import CLIENT, LB_NODES, UPSTREAM, VIP, VIP_PORT, Fabric

PREFIX = "dc-"
STATE_DIR = "/run/iplb-demo"
# FRR's per-process directories (log buffers, crash log), removed by the
# process itself when it exits cleanly: <program>[-<instance>].<N>, N the pid
# of the process before it daemonized (-d forks), each thread's buffer
# logbuf.<tid> in it, the main thread's tid being the daemon's pid.
FRR_TMPDIR = "/var/tmp/frr"
BULK_PORT = 5201  # bulk.py's sink, plain TCP and MPTCP
ETCD = "/usr/bin/etcd"
ETCDCTL = "/usr/bin/etcdctl"
REDIS = "/usr/bin/redis-server"
REDIS_CLI = "/usr/bin/redis-cli"
REDIS_PORT = 6379
WEB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "web.py")
PY = "/usr/bin/python3"


def log(message):
    print(message, flush=True)


def run(*args, check=True):
    result = subprocess.run(args, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(args), (result.stderr or result.stdout).strip()))
    return result.stdout


class Lab:
    def __init__(self, fabric, sbindir, bindir, sysconfdir="/etc/frr", statedir="/var/run/frr"):
        self.fabric = fabric
        self.sbindir, self.bindir = sbindir, bindir
        self.sysconfdir, self.statedir = sysconfdir, statedir

    # --- names -----------------------------------------------------------
    @staticmethod
    def ns(node):
        return PREFIX + node

    def iplbctl(self, node, *args, check=True):
        return run(os.path.join(self.bindir, "iplbctl"), "-N", self.ns(node), "-n", self.ns(node),
                   *args, check=check)

    def vtysh_args(self, node, *commands):
        args = [os.path.join(self.bindir, "vtysh"), "-N", self.ns(node)]
        for command in commands:
            args += ["-c", command]
        return args

    def vtysh(self, node, *commands, check=True):
        return run(*self.vtysh_args(node, *commands), check=check)

    def vtysh_json(self, node, command):
        return json.loads(self.vtysh(node, command) or "{}")

    def exec_in(self, node, *args, check=True):
        return run("ip", "netns", "exec", self.ns(node), *args, check=check)

    def shape(self, node, dev):
        """The fabric's rate on one interface's egress."""
        run("ip", "netns", "exec", self.ns(node), "tc", "qdisc", "replace", "dev", dev, "root",
            "tbf", "rate", "%dmbit" % self.fabric.rate_mbit, "burst", "32kb", "latency", "20ms")

    def runs_ospf(self, node):
        return node not in (UPSTREAM, CLIENT)

    def etcd_endpoints(self):
        return ["http://%s:2379" % self.fabric.loopback(n) for n in self.fabric.etcd_nodes()]

    # --- bring up ----------------------------------------------------------
    def create(self):
        fabric = self.fabric
        for node in fabric.nodes:
            run("ip", "netns", "add", self.ns(node))
            run("ip", "-n", self.ns(node), "link", "set", "lo", "up")
            for key, value in (("net.ipv4.ip_forward", 1),
                               # ECMP hashes on ports, so that a host's flows spread
                               ("net.ipv4.fib_multipath_hash_policy", 1),
                               ("net.ipv4.conf.all.rp_filter", 0),
                               ("net.ipv4.conf.default.rp_filter", 0)):
                self.exec_in(node, "sysctl", "-qw", "%s=%s" % (key, value))
            run("ip", "-n", self.ns(node), "addr", "add", fabric.loopback(node) + "/32",
                "dev", "lo")
        for link in fabric.links:
            run("ip", "link", "add", link.ifname(link.a), "netns", self.ns(link.a), "type",
                "veth", "peer", link.ifname(link.b), "netns", self.ns(link.b))
            for node in (link.a, link.b):
                dev = link.ifname(node)
                run("ip", "-n", self.ns(node), "addr", "add", link.address(node), "dev", dev)
                run("ip", "-n", self.ns(node), "link", "set", dev, "up")
                if node != UPSTREAM and link.peer(node) != UPSTREAM:
                    # Every link, in both directions, is a bottleneck of the
                    # same rate: what the comparison of routings measures.
                    self.shape(node, dev)
        # The client: its way out is the upstream router, over its first
        # link, and over its second for what it sends from that link's
        # address (a rule by source): an MPTCP client of two interfaces, its
        # second subflow from the second (the kernel's path manager: a
        # `subflow` endpoint). Its TCP checksums are computed in full: the
        # muxes' native XDP loses a veth packet's "checksum still to do"
        # state, and the backends would see bad ones.
        first, second = fabric.client_links()
        run("ip", "-n", self.ns(CLIENT), "route", "add", "default", "via",
            first.address(UPSTREAM).split("/")[0])
        second_address = second.address(CLIENT).split("/")[0]
        run("ip", "-n", self.ns(CLIENT), "rule", "add", "from", second_address, "table", "102")
        run("ip", "-n", self.ns(CLIENT), "route", "add", "default", "via",
            second.address(UPSTREAM).split("/")[0], "dev", second.ifname(CLIENT), "table", "102")
        run("ip", "-n", self.ns(CLIENT), "mptcp", "limits", "set", "subflow", "2",
            "add_addr_accepted", "0")
        run("ip", "-n", self.ns(CLIENT), "mptcp", "endpoint", "add", second_address, "dev",
            second.ifname(CLIENT), "subflow")
        for link in (first, second):
            self.exec_in(CLIENT, "ethtool", "-K", link.ifname(CLIENT), "tx", "off")
        for host in fabric.hosts:
            ns = self.ns(host)
            run("ip", "-n", ns, "mptcp", "limits", "set", "subflow", "8", "add_addr_accepted", "8")
            for address in fabric.subflow_addresses(host):
                run("ip", "-n", ns, "addr", "add", address + "/32", "dev", "lo")
                run("ip", "-n", ns, "mptcp", "endpoint", "add", address, "subflow")

    def write_config(self, node):
        fabric, confdir = self.fabric, os.path.join(self.sysconfdir, self.ns(node))
        os.makedirs(confdir, exist_ok=True)
        logdir = os.path.join(STATE_DIR, node)
        os.makedirs(logdir, exist_ok=True)
        shutil.chown(logdir, "frr", "frr")
        is_host, is_lb = node in fabric.hosts, node in LB_NODES
        is_backend = node in fabric.backends()
        etcd = " lb etcd endpoints " + " ".join(self.etcd_endpoints())
        redis = " lb redis endpoints %s:%d" % (fabric.loopback(fabric.redis_node()), REDIS_PORT)
        with open(os.path.join(confdir, "daemons"), "w") as f:
            f.write("# Written by iplb-demo: the daemons watchfrr starts in netns %s.\n"
                    "zebra=yes\nospfd=%s\nbgpd=%s\niplbd=%s\nstaticd=no\nvtysh_enable=yes\n"
                    # Every vty on the loopback (staticd runs even when "no":
                    # frrcommon.sh always starts zebra and staticd).
                    'zebra_options="-A 127.0.0.1 -s 90000000"\n'
                    'ospfd_options="-A 127.0.0.1 -a -l 127.0.0.1"\n'
                    'bgpd_options="-A 127.0.0.1"\n'
                    'staticd_options="-A 127.0.0.1"\n'
                    'iplbd_options="-A 127.0.0.1"\n'
                    'watchfrr_options="--netns"\nfrr_profile="datacenter"\n'
                    % (self.ns(node), "yes" if self.runs_ospf(node) else "no",
                       "yes" if is_lb or node == UPSTREAM else "no",
                       "yes" if is_host or is_lb else "no"))
        with open(os.path.join(confdir, "vtysh.conf"), "w") as f:
            f.write("service integrated-vtysh-config\n")
        lines = ["frr defaults datacenter", "hostname %s" % node,
                 "log file %s/frr.log notifications" % logdir,
                 # Routes with their next hops inline, not kernel nexthop
                 # groups: FRR 8.4's zebra does not put a next hop back into
                 # a group the kernel shrank when its link went down, so a
                 # cut and repaired link left ECMP on one path (fixed
                 # upstream in FRR PR 14080; docs/DEVELOPMENT.md).
                 "no zebra nexthop kernel enable", "!"]
        if self.runs_ospf(node):
            lines += ["interface lo", " ip ospf area 0", " ip ospf passive", "exit"]
            for link in fabric.links_of(node):
                if UPSTREAM in (link.a, link.b):
                    continue
                lines += ["interface eth-%s" % link.peer(node), " ip ospf area 0",
                          " ip ospf network point-to-point", " ip ospf cost 10",
                          " ip ospf hello-interval 1", " ip ospf dead-interval 4", "exit"]
            lines += ["router ospf", " ospf router-id %s" % fabric.loopback(node),
                      " capability opaque", " timers throttle spf 0 50 500"]
            if is_lb:
                # The client's network (from up, over BGP) into the fabric:
                # the backends' replies find their way out, over iplb's paths.
                lines += [" redistribute bgp"]
            lines += ["exit"]
        if is_host:
            lines += ["router iplb", " role %s" % ("backend" if is_backend else "host"),
                      " lsdb debounce 50 max-hold 500", " path k 4"]
            if is_backend:
                lines += [etcd, redis, " lb name %s" % node,
                          " lb interface eth-%s" % fabric.uplink(node).peer(node)]
            lines += ["exit"]
        if is_lb:
            # Tunnels to the FIB's next hop into the fabric: up has no
            # route to the backends (the mux cannot send them back to it).
            lines += ["router iplb", " role mux", etcd, redis, " lb name %s" % node,
                      " lb controller",
                      " lb fib-lookup", " lb interface eth-%s" % UPSTREAM, "exit"]
            up_link = next(l for l in fabric.links_of(node) if UPSTREAM in (l.a, l.b))
            lines += ["router bgp %d" % (65000 + LB_NODES.index(node) + 1),
                      " bgp router-id %s" % fabric.loopback(node),
                      " no bgp ebgp-requires-policy",
                      " neighbor %s remote-as 65000" % up_link.address(UPSTREAM).split("/")[0],
                      " neighbor %s timers 1 3" % up_link.address(UPSTREAM).split("/")[0],
                      " address-family ipv4 unicast", "  redistribute iplb",
                      " exit-address-family", "exit"]
        if node == UPSTREAM:
            lines += ["router bgp 65000", " bgp router-id %s" % fabric.loopback(node),
                      " no bgp ebgp-requires-policy", " bgp bestpath as-path multipath-relax"]
            for link in fabric.links_of(node):
                if link.peer(node) not in LB_NODES:
                    continue
                peer = link.address(link.peer(node)).split("/")[0]
                asn = 65001 + LB_NODES.index(link.peer(node))
                lines += [" neighbor %s remote-as %d" % (peer, asn),
                          " neighbor %s timers 1 3" % peer]
            lines += [" address-family ipv4 unicast"]
            lines += ["  network %s" % prefix for prefix in fabric.client_prefixes()]
            lines += ["  maximum-paths 4", " exit-address-family", "exit"]
        with open(os.path.join(confdir, "frr.conf"), "w") as f:
            f.write("\n".join(lines) + "\n")
        for name in os.listdir(confdir):
            shutil.chown(os.path.join(confdir, name), "frr", "frr")
            os.chmod(os.path.join(confdir, name), 0o640)
        shutil.chown(confdir, "frr", "frr")

    def start(self, batch=6):
        """frrinit.sh per node, a few at a time (each waits for its daemons)."""
        nodes, started = list(self.fabric.nodes), 0
        frrinit = os.path.join(self.sbindir, "frrinit.sh")
        while nodes:
            group, nodes = nodes[:batch], nodes[batch:]
            procs = [(node, subprocess.Popen([frrinit, "start", self.ns(node)],
                                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                             text=True)) for node in group]
            for node, proc in procs:
                out, _ = proc.communicate()
                if proc.returncode != 0:
                    raise RuntimeError("could not start FRR in %s:\n%s" % (self.ns(node), out))
            started += len(group)
            log("    FRR started in %d of %d nodes" % (started, len(self.fabric.nodes)))

    def attach_relays(self):
        """Every switch decapsulates for its loopback (relay address), tunnels
        from the hosts' sources only."""
        sources = self.fabric.tunnel_sources()
        for switch in self.fabric.switches:
            devs = ["eth-" + link.peer(switch) for link in self.fabric.links_of(switch)]
            self.iplbctl(switch, "attach", "relay", *devs)
            self.iplbctl(switch, "relay", "add", "dev", "lo")
            self.iplbctl(switch, "relay", "source", "add", *sources)

    # --- the load balancer ---------------------------------------------------
    def start_etcd(self, timeout=60):
        """One etcd member per etcd node, on its loopback (OSPF must have
        converged), until the cluster answers."""
        nodes = self.fabric.etcd_nodes()
        cluster = ",".join("%s=http://%s:2380" % (n, self.fabric.loopback(n)) for n in nodes)
        for node in nodes:
            address, data = self.fabric.loopback(node), os.path.join(STATE_DIR, node, "etcd")
            os.makedirs(data, exist_ok=True)
            with open(os.path.join(STATE_DIR, node, "etcd.log"), "w") as log_file:
                subprocess.Popen(
                    ["ip", "netns", "exec", self.ns(node), ETCD, "--name", node,
                     "--data-dir", data,
                     "--listen-client-urls", "http://%s:2379" % address,
                     "--advertise-client-urls", "http://%s:2379" % address,
                     "--listen-peer-urls", "http://%s:2380" % address,
                     "--initial-advertise-peer-urls", "http://%s:2380" % address,
                     "--initial-cluster", cluster, "--initial-cluster-state", "new",
                     "--initial-cluster-token", "iplb-demo"],
                    stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                    start_new_session=True)
        self.wait_for("etcd members", lambda: [] if "OK" in self.etcdctl(
            "put", "/iplb-demo-ready", "1") else ["etcd"], timeout=timeout)

    def etcdctl(self, *args):
        return self.exec_in(LB_NODES[0], "env", "ETCDCTL_API=3", ETCDCTL,
                            "--endpoints=" + ",".join(self.etcd_endpoints()),
                            "--dial-timeout=2s", "--command-timeout=5s", *args, check=False)

    def start_redis(self):
        """redis-server on the Redis node's loopback, nothing saved: where the
        backends publish their MPTCP connections' tokens."""
        node = self.fabric.redis_node()
        address = self.fabric.loopback(node)
        with open(os.path.join(STATE_DIR, node, "redis.log"), "w") as log_file:
            subprocess.Popen(["ip", "netns", "exec", self.ns(node), REDIS, "--bind", address,
                              "--port", str(REDIS_PORT), "--save", "", "--appendonly", "no",
                              "--protected-mode", "no"],
                             stdin=subprocess.DEVNULL, stdout=log_file,
                             stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_for("redis-server", lambda: [] if "PONG" in self.exec_in(
            node, REDIS_CLI, "-h", address, "-p", str(REDIS_PORT), "ping",
            check=False) else ["redis"], timeout=30, interval=0.2)

    def start_web(self):
        """A web server on every backend (port 80, every address: the VIP and
        the DIP its health check connects to), answering with its name; MPTCP
        (plain TCP clients too)."""
        for host in self.fabric.backends():
            subprocess.Popen(["ip", "netns", "exec", self.ns(host), PY, WEB, "serve", host,
                              str(VIP_PORT)], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)

    def pool_commands(self):
        vip = "lb vip %s port %d" % (VIP.split("/")[0], VIP_PORT)
        return [vip, vip + " mptcp token",
                vip + " health-check http path / interval 1000 timeout 500 rise 2 fall 2"] + \
            ["%s backend %s" % (vip, self.fabric.dip(h)) for h in self.fabric.backends()]

    def configure_pool(self):
        """The VIP's pool, written into etcd from lb1's vtysh."""
        out = self.vtysh(LB_NODES[0], "configure terminal", "router iplb", *self.pool_commands())
        if "%" in out:
            raise RuntimeError("the VIP's pool was refused: %s" % out.strip())

    def vip_view(self):
        """The VIP as the controller shows it (show iplb lb json on lb1)."""
        shown = "%s tcp port %d" % (VIP.split("/")[0], VIP_PORT)
        for vip in self.vtysh_json(LB_NODES[0], "show iplb lb json").get("vips", []):
            if vip["vip"] == shown:
                return vip
        return {}

    def backends_not_serving(self):
        states = {b["address"]: b["state"] for b in self.vip_view().get("backends", [])}
        return [h for h in self.fabric.backends() if states.get(self.fabric.dip(h)) != "active"]

    def switches_take_redirects(self):
        """The muxes send a tunnel to the backend's next hop in the fabric
        (`lb fib-lookup`), not back to the upstream router, which has no
        route into the fabric: the switches behind them must read it."""
        for lb in LB_NODES:
            # A frame the mux redirects into a veth is read by the peer only
            # if the peer polls (NAPI): GRO on the switch's end (docs/LB.md).
            for link in self.fabric.links_of(lb):
                if link.peer(lb) in self.fabric.switches:
                    self.exec_in(link.peer(lb), "ethtool", "-K", "eth-" + lb, "gro", "on")

    def route_path(self, node, address, limit=16):
        """The nodes a packet to `address` crosses from `node`, by each
        node's kernel route (one next hop where there are several)."""
        path = [node]
        while len(path) <= limit:
            routes = json.loads(run("ip", "-n", self.ns(path[-1]), "-j", "route", "get",
                                    address, check=False) or "[]")
            dev = routes[0].get("dev", "") if routes else ""
            if not dev.startswith("eth-"):
                return path  # delivered here (lo), or no route
            path.append(dev[len("eth-"):])
        return path

    # --- convergence ---------------------------------------------------------
    def kernel_routes(self, node, *selector):
        """`ip route show SELECTOR` in node, parsed."""
        return json.loads(run("ip", "-n", self.ns(node), "-j", "route", "show", *selector))

    def ospf_routes(self, node):
        return {route["dst"] for route in self.kernel_routes(node, "proto", "ospf")}

    def hosts_missing_routes(self):
        want = {self.fabric.loopback(h) for h in self.fabric.hosts}
        return [h for h in self.fabric.hosts
                if not (want - {self.fabric.loopback(h)}) <= self.ospf_routes(h)]

    def wait_for(self, what, predicate, timeout, interval=1.0):
        """predicate() -> list of what is still missing (empty when done)."""
        deadline, shown = time.monotonic() + timeout, None
        while True:
            missing = predicate()
            if not missing:
                return
            if time.monotonic() > deadline:
                raise RuntimeError("%s: not done after %d s: %s"
                                   % (what, timeout, " ".join(missing[:10])))
            summary = "%d left" % len(missing)
            if summary != shown:
                log("    %s: %s" % (what, summary))
                shown = summary
            time.sleep(interval)

    def vip_nexthops(self):
        routes = self.kernel_routes(UPSTREAM, VIP.split("/")[0])
        return next_hops(routes[0]) if routes else []

    # --- take down -----------------------------------------------------------
    @staticmethod
    def existing_namespaces():
        out = run("ip", "netns", "list", check=False)
        return [line.split()[0] for line in out.splitlines() if line.startswith(PREFIX)]

    def node_processes(self, ns):
        """FRR's processes of a node (pid -> program): watchfrr and its daemons,
        by their pid files and by their command lines."""
        processes = {}
        piddir = os.path.join(self.statedir, ns)
        for entry in os.listdir(piddir) if os.path.isdir(piddir) else []:
            if entry.endswith(".pid"):
                try:
                    with open(os.path.join(piddir, entry)) as f:
                        processes[int(f.read().split()[0])] = entry[:-len(".pid")]
                except (OSError, ValueError, IndexError):
                    pass
        out = run("pgrep", "-a", "-f", "^%s/[a-z]+ -N %s( |$)" % (self.sbindir, ns), check=False)
        for line in out.splitlines():
            pid, _, command = line.partition(" ")
            processes[int(pid)] = os.path.basename(command.split()[0])
        return processes

    def down(self):
        namespaces = set(self.existing_namespaces())
        namespaces |= {self.ns(n) for n in self.fabric.nodes} if self.fabric else set()
        # Their FRR directories in /var/tmp/frr go with them (watchfrr's was
        # left by every stop before patch 0008, a killed daemon's always is).
        stopped = {}
        for ns in sorted(namespaces):
            stopped.update(self.node_processes(ns))
        iplbctl = os.path.join(self.bindir, "iplbctl")
        frrinit = os.path.join(self.sbindir, "frrinit.sh")
        procs = [subprocess.Popen([frrinit, "stop", ns], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for ns in sorted(namespaces)]
        for proc in procs:
            proc.wait()
        for ns in sorted(namespaces):
            # Daemons watchfrr did not take down (it may have been killed),
            # and the lab's traffic sinks.
            run("pkill", "-KILL", "-f", "^%s/[a-z]+ -N %s( |$)" % (self.sbindir, ns), check=False)
            for pid in run("ip", "netns", "pids", ns, check=False).split():
                run("kill", "-KILL", pid, check=False)
            run("ip", "netns", "del", ns, check=False)
            # The datapath's pins outlive the namespaces: removed once no
            # iplbd runs (a running one restores what it still configures).
            run(iplbctl, "-n", ns, "purge", check=False)
            shutil.rmtree(os.path.join(self.sysconfdir, ns), ignore_errors=True)
            shutil.rmtree(os.path.join(self.statedir, ns), ignore_errors=True)
        deadline = time.monotonic() + 5  # a SIGKILL'd process may still be exiting
        while any(alive(pid) for pid in stopped) and time.monotonic() < deadline:
            time.sleep(0.05)
        gone = {pid: name for pid, name in stopped.items() if not alive(pid)}
        for path in frr_tmp_dirs(gone):
            shutil.rmtree(path, ignore_errors=True)
        shutil.rmtree(STATE_DIR, ignore_errors=True)
        return sorted(namespaces)


def frr_tmp_dirs(processes, base=FRR_TMPDIR):
    """FRR's directories (base/<program>[-<instance>].<N>) of these processes
    (pid -> program name), only theirs: named after the pid, or holding the
    log buffer of the thread whose tid is the pid (a daemon started with -d)."""
    try:
        entries = os.listdir(base)
    except OSError:
        return []
    found = set()
    for pid, name in processes.items():
        for entry in entries:
            head, _, tail = entry.rpartition(".")
            if head != name and not head.startswith(name + "-"):
                continue
            if tail == str(pid) or os.path.exists(os.path.join(base, entry, "logbuf.%d" % pid)):
                found.add(os.path.join(base, entry))
    return sorted(found)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def next_hops(route):
    """The gateways of a parsed kernel route, one or several."""
    if "nexthops" in route:
        return [hop["gateway"] for hop in route["nexthops"] if "gateway" in hop]
    return [route["gateway"]] if "gateway" in route else []


def save_fabric(fabric):
    os.makedirs(STATE_DIR, exist_ok=True)
    with open(os.path.join(STATE_DIR, "fabric.json"), "w") as f:
        json.dump(fabric.to_json(), f)


def load_fabric():
    try:
        with open(os.path.join(STATE_DIR, "fabric.json")) as f:
            return Fabric.from_json(json.load(f))
    except (OSError, ValueError, KeyError):
        return None  # none, or written by another version: down still works
