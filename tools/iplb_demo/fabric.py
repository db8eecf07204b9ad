# SPDX-License-Identifier: GPL-2.0-or-later
"""The lab's network: a fat-tree or a Jellyfish fabric from the path engine's
own generators (`iplbctl topology generate`, the graphs the simulator uses
too), plus two load-balancer nodes and an upstream BGP router.

Names and addresses (every node is an OSPF router; router id = loopback):
    switches   s0, s1, ...  the generator's router ids (docs/TOPOLOGY-FORMAT.md)
    hosts      h0, h1, ...  the generator's ids; MPTCP subflow addresses
                            10.50.<j>.<n>/32 on host j
    lb1, lb2   10.60.0.1, 10.60.0.2: muxes of VIP 10.99.0.1 port 80, advertised
               over BGP; controllers; etcd members (with the first host that
               is not a backend)
    up         10.60.0.3 (bgpd only, ECMP over lb1 and lb2)
    cl         10.60.0.4, the client outside the fabric, behind up over two
               links (eth-up, eth-up2: an MPTCP client with two interfaces)
    backends   4 hosts spread over the fabric (Fabric.backends), their DIP
               the address of their uplink
    redis      redis-server on the etcd member's host (Fabric.redis_node):
               the MPTCP tokens the backends publish, the muxes follow
Link n (in the order below) is 10.(100 + n / 64).(n % 64 * 4)/30: .1 on its
first node, .2 on its second. Node X's interface toward Y is eth-Y, and
eth-Y2 for a second link between the two (Link.ifname).
The switches' relays accept tunnels from the hosts' sources only
(Fabric.tunnel_sources).
"""

import ipaddress
import json
import subprocess
from dataclasses import dataclass, field

VIP = "10.99.0.1/32"
VIP_PORT = 80
SUBFLOW_RANGE = "10.50.0.0/16"  # every host's MPTCP subflow addresses
LB_NODES = ("lb1", "lb2")
UPSTREAM = "up"
CLIENT = "cl"
BACKEND_COUNT = 4

# A 3-level fat-tree of p-port switches, and the seed's Jellyfish of the
# same size: 5p^2/4 switches, p^3/4 hosts.
SIZES = {4: (20, 16), 6: (45, 54), 8: (80, 128)}


@dataclass(frozen=True)
class Link:
    a: str
    b: str
    index: int
    suffix: str = ""  # "2" for the second link between a and b

    def ifname(self, node):
        """The node's interface on this link."""
        return "eth-%s%s" % (self.peer(node), self.suffix)

    def address(self, node):
        base = ipaddress.IPv4Address("10.%d.%d.0" % (100 + self.index // 64, (self.index % 64) * 4))
        return "%s/30" % (base + (1 if node == self.a else 2))

    def peer(self, node):
        return self.b if node == self.a else self.a

    @property
    def fabric(self):
        """Between two switches (what multipath is about)."""
        return self.a.startswith("s") and self.b.startswith("s")


@dataclass
class Fabric:
    kind: str
    ports: int
    seed: int
    subflows: int = 4
    rate_mbit: int = 20  # every link, each direction
    switches: list = field(default_factory=list)
    hosts: list = field(default_factory=list)
    links: list = field(default_factory=list)
    router_ids: dict = field(default_factory=dict)  # switches and hosts

    @property
    def nodes(self):
        return self.switches + self.hosts + list(LB_NODES) + [UPSTREAM, CLIENT]

    def links_of(self, node):
        return [link for link in self.links if node in (link.a, link.b)]

    def fabric_links(self):
        return [link for link in self.links if link.fabric]

    def uplink(self, host):
        (link,) = self.links_of(host)
        return link

    def loopback(self, node):
        if node in self.router_ids:
            return self.router_ids[node]
        if node in LB_NODES:
            return "10.60.0.%d" % (LB_NODES.index(node) + 1)
        if node == UPSTREAM:
            return "10.60.0.3"
        if node == CLIENT:
            return "10.60.0.4"
        raise ValueError("unknown node %r" % node)

    def backends(self):
        """The VIP's backends: BACKEND_COUNT hosts spread over the fabric
        (in a fat-tree, one per pod)."""
        n = len(self.hosts)
        return [self.hosts[(2 * i + 1) * n // (2 * BACKEND_COUNT)] for i in range(BACKEND_COUNT)]

    def dip(self, host):
        """A backend's address as the muxes tunnel to it: its uplink's."""
        return self.uplink(host).address(host).split("/")[0]

    def etcd_nodes(self):
        """Three etcd members: the LB nodes and the first host that is not a
        backend (all reachable over OSPF at their loopbacks)."""
        return list(LB_NODES) + [next(h for h in self.hosts if h not in self.backends())]

    def client_links(self):
        """The client's two links to the upstream router."""
        return [l for l in self.links if CLIENT in (l.a, l.b)]

    def client_prefix(self):
        """The client's first network (its first link to the upstream router)."""
        return self.client_prefixes()[0]

    def client_prefixes(self):
        return [str(ipaddress.ip_interface(l.address(CLIENT)).network)
                for l in self.client_links()]

    def redis_node(self):
        """Where redis-server runs (the etcd member's host that is no
        backend), on its loopback."""
        return self.etcd_nodes()[-1]

    def subflow_addresses(self, host):
        """The host's extra addresses (in SUBFLOW_RANGE): one more MPTCP
        subflow each."""
        return ["10.50.%d.%d" % (int(host[1:]), n) for n in range(1, self.subflows)]

    def tunnel_sources(self):
        """The outer sources of the hosts' tunnels, what the switches' relays
        accept (nothing else): the hosts set no `datapath source`, so a tunnel
        carries its packet's own source, which the traffic binds to a host's
        loopback or one of its subflow addresses. Each loopback as a /32 (a
        fat-tree host shares its /24 with its edge switch), and the subflow
        range. And for the load balancer: the VIP (a backend's reply to the
        client leaves from it), and the uplink addresses of the backends
        (their DIPs) and of the etcd member's host, the sources of their
        health-check answers and etcd sessions, tunnelled like the rest of
        their traffic: at most 135 prefixes (8 ports), within a relay's 256."""
        sources = [self.loopback(host) + "/32" for host in self.hosts] + [VIP]
        sources += [self.dip(h) + "/32" for h in self.hosts
                    if h in self.backends() or h in self.etcd_nodes()]
        if self.subflows > 1:
            sources.append(SUBFLOW_RANGE)
        return sources

    def node_of_router(self, router_id):
        """The node whose router id (loopback) this is; None if none."""
        return next((n for n in self.nodes if self.loopback(n) == router_id), None)

    def to_json(self):
        return {"kind": self.kind, "ports": self.ports, "seed": self.seed,
                "subflows": self.subflows, "rateMbit": self.rate_mbit,
                "switches": self.switches, "hosts": self.hosts,
                "links": [[link.a, link.b] for link in self.links],
                "routerIds": self.router_ids}

    @classmethod
    def from_json(cls, data):
        fabric = cls(kind=data["kind"], ports=data["ports"], seed=data["seed"],
                     subflows=data["subflows"], rate_mbit=data["rateMbit"],
                     switches=data["switches"], hosts=data["hosts"],
                     router_ids=data["routerIds"])
        fabric.links = make_links(data["links"])
        return fabric


def make_links(pairs):
    """Links in the order of `pairs`, a second link between the same two
    nodes with its own interface names."""
    links, seen = [], set()
    for n, (a, b) in enumerate(pairs):
        key = frozenset((a, b))
        links.append(Link(a, b, n, "2" if key in seen else ""))
        seen.add(key)
    return links


def generate(iplbctl, kind, ports, seed, subflows, rate_mbit=20):
    """The fabric of `ports`-port switches, from the path engine's generators."""
    if ports not in SIZES:
        raise ValueError("ports must be one of %s" % ", ".join(map(str, sorted(SIZES))))
    if kind == "fattree":
        args = ["fattree", "--k", str(ports)]
    elif kind == "jellyfish":
        switches, hosts = SIZES[ports]
        args = ["jellyfish", "--switches", str(switches), "--ports", str(ports),
                "--hosts", str(hosts), "--seed", str(seed)]
    else:
        raise ValueError("unknown topology %r" % kind)
    out = subprocess.run([iplbctl, "topology", "generate", *args], check=True,
                         capture_output=True, text=True).stdout
    topology = json.loads(out)
    pairs, degree = [], {}
    for link in topology["links"]:
        a, b = link["from"], link["to"]
        if (b, a) not in pairs:
            pairs.append((a, b))
            degree[a] = degree.get(a, 0) + 1
            degree[b] = degree.get(b, 0) + 1
    # Hosts are the routers on a single link (the generators' hosts).
    ids = [r["id"] for r in topology["routers"]]
    switch_ids = [i for i in ids if degree.get(i, 0) > 1]
    host_ids = [i for i in ids if degree.get(i, 0) == 1]
    name = {i: "s%d" % n for n, i in enumerate(switch_ids)}
    name.update({i: "h%d" % n for n, i in enumerate(host_ids)})
    fabric = Fabric(kind=kind, ports=ports, seed=seed, subflows=subflows,
                    rate_mbit=rate_mbit,
                    switches=[name[i] for i in switch_ids], hosts=[name[i] for i in host_ids],
                    router_ids={name[i]: i for i in ids})
    named = [(name[a], name[b]) for a, b in pairs]
    # The LB nodes hang off the first switches without hosts (else the
    # first switches), the upstream router off both LB nodes.
    hosts = set(fabric.hosts)
    with_hosts = {a if b in hosts else b for a, b in named if a in hosts or b in hosts}
    spare = list(dict.fromkeys([s for s in fabric.switches if s not in with_hosts] +
                               fabric.switches))
    named += [(spare[0], LB_NODES[0]), (spare[1], LB_NODES[1]),
              (UPSTREAM, LB_NODES[0]), (UPSTREAM, LB_NODES[1]), (UPSTREAM, CLIENT),
              (UPSTREAM, CLIENT)]
    fabric.links = make_links(named)
    return fabric
