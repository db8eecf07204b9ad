#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The demo lab's model, without namespaces: the fabric it builds from the
path engine's generators, its addresses, the traffic permutation, the
summary table and the picture. (The lab itself runs in ./quickstart.sh demo.)"""

import ipaddress
import os
import subprocess
import sys

import pytest

TOP = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tools"))

from iplb_demo import fabric as fabric_mod  # noqa: E402
from iplb_demo import lab as lab_mod  # noqa: E402
from iplb_demo import picture  # noqa: E402
from iplb_demo.experiment import permutation, table  # noqa: E402

IPLBCTL = os.environ.get("IPLBCTL", os.path.join(TOP, "tools", "iplbctl", "iplbctl"))


@pytest.mark.parametrize("kind,ports,switches,hosts", [
    ("fattree", 4, 20, 16), ("fattree", 6, 45, 54),
    ("jellyfish", 4, 20, 16), ("jellyfish", 6, 45, 54)])
def test_fabric_has_the_seeds_sizes(kind, ports, switches, hosts):
    fabric = fabric_mod.generate(IPLBCTL, kind, ports, 1, 4)
    assert (len(fabric.switches), len(fabric.hosts)) == (switches, hosts)
    # Every switch port is used (a random graph may leave one pair free).
    free_ports = switches * ports - hosts - 2 * len(fabric.fabric_links())
    assert free_ports == 0 if kind == "fattree" else free_ports in (0, 2)
    for switch in fabric.switches:
        assert len([l for l in fabric.links_of(switch) if l.peer(switch)[0] in "sh"]) <= ports
    for host in fabric.hosts:
        assert fabric.uplink(host).peer(host) in fabric.switches
    for lb in fabric_mod.LB_NODES:
        peers = {link.peer(lb) for link in fabric.links_of(lb)}
        assert fabric_mod.UPSTREAM in peers and len(peers) == 2


@pytest.mark.parametrize("kind", ["fattree", "jellyfish"])
def test_addresses_do_not_overlap(kind):
    fabric = fabric_mod.generate(IPLBCTL, kind, 6, 3, 8)
    networks = []
    for node in fabric.nodes:
        networks.append(ipaddress.ip_network(fabric.loopback(node) + "/32"))
    for host in fabric.hosts:
        assert len(fabric.subflow_addresses(host)) == 7
        networks += [ipaddress.ip_network(a + "/32") for a in fabric.subflow_addresses(host)]
    for link in fabric.links:
        a = ipaddress.ip_interface(link.address(link.a))
        b = ipaddress.ip_interface(link.address(link.b))
        assert a.network == b.network and a.ip != b.ip
        networks.append(a.network)
    for i, one in enumerate(networks):
        for other in networks[i + 1:]:
            assert not one.overlaps(other), (one, other)


@pytest.mark.parametrize("kind,ports", [("fattree", 4), ("fattree", 8), ("jellyfish", 6)])
def test_relays_accept_the_hosts_tunnel_sources_and_nothing_else(kind, ports):
    fabric = fabric_mod.generate(IPLBCTL, kind, ports, 1, 4)
    allowed = [ipaddress.ip_network(p) for p in fabric.tunnel_sources()]
    assert len(allowed) <= 256, "a relay takes 256 prefixes per family"

    def accepted(address):
        return any(ipaddress.ip_address(address) in network for network in allowed)
    for host in fabric.hosts:
        assert accepted(fabric.loopback(host)), host
        assert all(accepted(a) for a in fabric.subflow_addresses(host)), host
    for node in fabric.switches + list(fabric_mod.LB_NODES) + [fabric_mod.UPSTREAM]:
        assert not accepted(fabric.loopback(node)), node
    # Of the links' addresses, only the uplinks of the load balancer's hosts
    # (backends, etcd member): their health-check answers and etcd sessions.
    lb_hosts = set(fabric.backends()) | (set(fabric.etcd_nodes()) & set(fabric.hosts))
    for link in fabric.links:
        for end in (link.a, link.b):
            address = ipaddress.ip_interface(link.address(end)).ip
            assert accepted(address) == (end in lb_hosts), (link, end)


def test_fabric_survives_the_state_file():
    fabric = fabric_mod.generate(IPLBCTL, "jellyfish", 4, 2, 4, rate_mbit=7)
    again = fabric_mod.Fabric.from_json(fabric.to_json())
    assert again.links == fabric.links and again.router_ids == fabric.router_ids
    assert (again.kind, again.seed, again.rate_mbit) == ("jellyfish", 2, 7)
    assert again.node_of_router(fabric.loopback("h3")) == "h3"


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError):
        fabric_mod.generate(IPLBCTL, "fattree", 5, 1, 4)
    with pytest.raises(ValueError):
        fabric_mod.generate(IPLBCTL, "torus", 4, 1, 4)


def test_permutation_is_a_derangement_fixed_by_its_seed():
    hosts = ["h%d" % i for i in range(16)]
    pairs = permutation(hosts, 7)
    assert [a for a, _ in pairs] == hosts
    assert sorted(b for _, b in pairs) == sorted(hosts)
    assert all(a != b for a, b in pairs)
    assert permutation(hosts, 7) == pairs
    assert permutation(hosts, 8) != pairs


def test_table_normalises_to_shortest_path():
    results = {"shortest/tcp": {"total_mbit": 100.0, "links_used": 24, "links_total": 64},
               "iplb/tcp": {"total_mbit": 250.0, "links_used": 64, "links_total": 64}}
    text = table(results, ["shortest", "ecmp", "iplb"], ["tcp"], 4).splitlines()
    assert len(text) == 3  # header, shortest, iplb (ecmp did not run)
    assert text[1].split()[-4:] == ["1.00", "24", "of", "64"]
    assert text[2].split()[0] == "iplb" and "2.50" in text[2].split()


def test_picture_draws_every_link_and_the_paths():
    fabric = fabric_mod.generate(IPLBCTL, "fattree", 4, 1, 4)
    load = {"%s>%s" % (l.a, l.b): 1000 * n for n, l in enumerate(fabric.fabric_links())}
    paths = [["h0", "s2", "s0", "s16", "s4", "s6", "h5"]]
    text = picture.dot(fabric, load, paths, {"s16"}, ("h0", "h5"), "t")
    for link in fabric.links:
        assert '"%s" -- "%s" [penwidth' % (link.a, link.b) in text
    assert text.count("style=dashed") == 6
    assert ('"s16" [shape=circle, fillcolor="#ffe08a", width=0.45, fixedsize=true,'
            ' penwidth=3]') in text
    png = subprocess.run(["dot", "-V"], capture_output=True)
    if png.returncode == 0:
        out = subprocess.run(["neato", "-Tpng"], input=text.encode(), capture_output=True)
        assert out.returncode == 0 and out.stdout[:4] == b"\x89PNG"


def test_cli_rejects_unknown_modes():
    out = subprocess.run([os.path.join(TOP, "tools", "iplb-demo"), "run", "--modes", "fast"],
                         capture_output=True, text=True)
    assert out.returncode == 2 and "unknown mode" in out.stderr


def test_down_removes_the_frr_directories_of_its_processes_only(tmp_path):
    # A daemon started with -d names its directory after its pid before the
    # fork, and its main thread's buffer after its own pid.
    for entry, buffers in (("watchfrr.4241", ["logbuf.4242"]), ("zebra.4240", ["logbuf.4243",
                           "logbuf.4250"]), ("ospfd-2.4244", []), ("iplbd.4245", ["logbuf.4246"]),
                           ("watchfrr.42", ["logbuf.43"]), ("zebra.4242", ["logbuf.4249"]),
                           ("bgpd.14243", ["logbuf.4243"])):
        (tmp_path / entry).mkdir()
        for buffer in buffers:
            (tmp_path / entry / buffer).touch()
    found = lab_mod.frr_tmp_dirs({4242: "watchfrr", 4243: "zebra", 4244: "ospfd"},
                                 base=str(tmp_path))
    assert found == [str(tmp_path / e) for e in ("ospfd-2.4244", "watchfrr.4241", "zebra.4240")]
    assert lab_mod.frr_tmp_dirs({1: "zebra"}, base=str(tmp_path / "none")) == []


def test_every_daemon_vty_listens_on_the_loopback(tmp_path, monkeypatch):
    fabric = fabric_mod.generate(IPLBCTL, "fattree", 4, 1, 4)
    lab = lab_mod.Lab(fabric, "/sbin", "/bin", sysconfdir=str(tmp_path))
    monkeypatch.setattr(lab_mod, "STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setattr(lab_mod.shutil, "chown", lambda *args: None)
    for node in ("h0", "s0", fabric_mod.LB_NODES[0], fabric_mod.UPSTREAM):
        lab.write_config(node)
        daemons = (tmp_path / lab.ns(node) / "daemons").read_text()
        # frrcommon.sh starts zebra and staticd whatever the file says.
        for daemon in ("zebra", "ospfd", "bgpd", "staticd", "iplbd"):
            assert '%s_options="-A 127.0.0.1' % daemon in daemons, (node, daemon)
        # FRR 8.4's zebra lost ECMP members after a link flap with kernel
        # nexthop groups (docs/DEVELOPMENT.md): next hops inline.
        config = (tmp_path / lab.ns(node) / "frr.conf").read_text().splitlines()
        assert "no zebra nexthop kernel enable" in config, node


def test_the_vip_has_backends_spread_over_the_fabric(tmp_path, monkeypatch):
    fabric = fabric_mod.generate(IPLBCTL, "fattree", 4, 1, 4)
    backends = fabric.backends()
    # One per pod of the k=4 fat-tree (4 hosts a pod), none an etcd member.
    assert [int(h[1:]) // 4 for h in backends] == [0, 1, 2, 3], backends
    assert len(set(fabric.etcd_nodes())) == 3
    assert not set(fabric.etcd_nodes()) & set(backends)
    for host in backends:
        assert ipaddress.ip_address(fabric.dip(host)) in \
            ipaddress.ip_interface(fabric.uplink(host).address(host)).network
    # The client hangs off the upstream router, outside OSPF; the backends'
    # replies leave tunnelled from the VIP, which the relays must accept.
    assert {l.peer(fabric_mod.CLIENT) for l in fabric.links_of(fabric_mod.CLIENT)} == \
        {fabric_mod.UPSTREAM}
    # Over two links (an MPTCP client of two interfaces), each its own names.
    first, second = fabric.client_links()
    assert (first.ifname(fabric_mod.CLIENT), second.ifname(fabric_mod.CLIENT)) == \
        ("eth-up", "eth-up2")
    assert second.ifname(fabric_mod.UPSTREAM) == "eth-cl2"
    assert len(set(fabric.client_prefixes())) == 2
    assert fabric_mod.VIP in fabric.tunnel_sources()
    for host in backends + [fabric.etcd_nodes()[2]]:
        assert fabric.dip(host) + "/32" in fabric.tunnel_sources(), host
    lab = lab_mod.Lab(fabric, "/sbin", "/bin", sysconfdir=str(tmp_path))
    monkeypatch.setattr(lab_mod, "STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setattr(lab_mod.shutil, "chown", lambda *args: None)
    assert not lab.runs_ospf(fabric_mod.CLIENT)
    for node in (backends[0], "lb1", fabric_mod.UPSTREAM, fabric_mod.CLIENT):
        lab.write_config(node)
    conf = lambda node: (tmp_path / lab.ns(node) / "frr.conf").read_text()  # noqa: E731
    assert " role backend\n" in conf(backends[0])
    assert " lb interface eth-%s\n" % fabric.uplink(backends[0]).peer(backends[0]) in \
        conf(backends[0])
    assert " lb controller\n lb fib-lookup\n lb interface eth-up\n" in conf("lb1")
    assert " redistribute bgp\n" in conf("lb1")
    for prefix in fabric.client_prefixes():
        assert "  network %s\n" % prefix in conf(fabric_mod.UPSTREAM)
    assert "router" not in conf(fabric_mod.CLIENT)
    # MPTCP token mode: the backends and the muxes share tokens in Redis.
    redis = " lb redis endpoints %s:6379\n" % fabric.loopback(fabric.redis_node())
    assert redis in conf(backends[0]) and redis in conf("lb1")
    assert fabric.redis_node() not in backends
    commands = lab.pool_commands()
    assert commands[:2] == ["lb vip 10.99.0.1 port 80", "lb vip 10.99.0.1 port 80 mptcp token"]
    assert [c.rsplit(" ", 1)[1] for c in commands[3:]] == [fabric.dip(h) for h in backends]


def test_the_picture_draws_the_vips_way(tmp_path):
    fabric = fabric_mod.generate(IPLBCTL, "fattree", 4, 1, 4)
    backend = fabric.backends()[0]
    vip = {"served": {h: 50 for h in fabric.backends()}, "backend": backend,
           "requests": [["cl", "up", "lb1", "s0", backend]], "replies": [[backend, "s1", "lb2"]]}
    text = picture.dot(fabric, {}, [], set(), ("h0", "h1"), "t", vip)
    assert '"cl" -- "up" [color="%s"' % picture.REQUEST_COLOUR in text
    assert '"%s" -- "s1" [color="%s"' % (backend, picture.REPLY_COLOUR) in text
    assert "%s\\n50 req" % backend in text


def load_demo_script():
    """tools/iplb-demo as a module (a script without .py)."""
    import importlib.machinery
    import importlib.util
    loader = importlib.machinery.SourceFileLoader("iplb_demo_script",
                                                  os.path.join(TOP, "tools", "iplb-demo"))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_sweep_table_is_relative_to_shortest_of_the_same_permutation():
    demo = load_demo_script()
    totals = {(1, "cubic"): (100, 150, 120), (2, "cubic"): (200, 200, 300),
              (1, "iplb_lia"): (50, 50, 50), (2, "iplb_lia"): (100, 90, 80)}
    runs = [{"seed": seed, "congestion": cc, "scheme": scheme, "total_mbit": mbit,
             "cpu_busy": 0.1 * seed}
            for (seed, cc), values in totals.items()
            for scheme, mbit in zip(("shortest", "ecmp", "k2"), values)]
    lines = demo.sweep_table(runs, ["shortest", "ecmp", "k2"], ["cubic", "iplb_lia"],
                             [1, 2]).splitlines()
    assert lines[0] == "| congestion control | shortest | ecmp | k=2 | CPU busy |"
    # ECMP 1.5 and 1.0 of shortest: mean 1.25; k=2 1.2 and 1.5: 1.35.
    assert lines[2] == "| cubic | 1 (150 Mbit/s) | 1.25 [1.00-1.50] | 1.35 [1.20-1.50] | 10-20% |"
    assert lines[3] == "| iplb_lia | 1 (75 Mbit/s) | 0.95 [0.90-1.00] | 0.90 [0.80-1.00] | 10-20% |"


def free_udp_port():
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_bound(port):
    """Until a UDP socket holds 0.0.0.0:port (binding it fails)."""
    import errno
    import socket
    import time
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind(("0.0.0.0", port))
            except OSError as e:
                if e.errno == errno.EADDRINUSE:
                    return
                raise
        time.sleep(0.01)
    raise AssertionError("nothing bound UDP port %d in 5 s" % port)


def test_probe_counts_losses_and_the_longest_silence_per_flow():
    """probe.py's receiver: per flow, what arrived, the highest sequence (so
    the losses) and the longest gap, from packets sent by hand: flow 0
    loses sequences 3 and 4 and is silent 0.3 s, flow 1 loses nothing."""
    import socket
    import threading
    import time
    from iplb_demo import probe
    port = free_udp_port()
    result = {}
    receiver = threading.Thread(target=lambda: result.update(probe.receive(port, 3.0)))
    receiver.start()
    wait_until_bound(port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        def packet(flow, seq):
            s.sendto(probe.PACKET.pack(flow, seq, time.monotonic()) + probe.PAD,
                     ("127.0.0.1", port))
        for seq in range(3):
            packet(0, seq)
            packet(1, seq)
        time.sleep(0.3)
        for seq in (5, 6):
            packet(0, seq)
        for seq in range(3, 7):
            packet(1, seq)
        s.sendto(b"short", ("127.0.0.1", port))  # not a probe packet: ignored
    receiver.join()
    assert sorted(result) == ["0", "1"], result
    assert (result["0"]["received"], result["0"]["highest"]) == (5, 6)
    assert (result["1"]["received"], result["1"]["highest"]) == (7, 6)
    assert result["0"]["longest_gap"] >= 0.3 and result["1"]["longest_gap"] >= 0.3
    assert result["0"]["silent_at_end"] > 0


def test_probe_sender_paces_every_flow_from_its_own_port():
    """probe.py send: every flow its own socket (source port), the same
    sequence numbers on each; all of them arrive on the loopback."""
    import socket
    from iplb_demo import probe
    port = free_udp_port()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind(("127.0.0.1", port))
        sink.settimeout(1.0)
        sent = probe.send("127.0.0.1", port, 0.2, "127.0.0.1", 3, 50.0)
        sources, sequences = {}, {}
        for _ in range(3 * sent["sent_per_flow"]):
            data, source = sink.recvfrom(2048)
            flow, seq, _ = probe.PACKET.unpack_from(data)
            sources.setdefault(flow, set()).add(source[1])
            sequences.setdefault(flow, []).append(seq)
    assert sent["send_errors"] == 0 and sent["sent_per_flow"] >= 1, sent
    assert sorted(sources) == [0, 1, 2]
    assert all(len(ports) == 1 for ports in sources.values()), sources
    assert len({next(iter(p)) for p in sources.values()}) == 3, "one source port per flow"
    assert all(seqs == list(range(sent["sent_per_flow"])) for seqs in sequences.values())
