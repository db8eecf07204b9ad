#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The demo's picture (tools/iplb_demo/picture.py) on fabrics built here,
without iplbctl or the lab: a fat-tree drawn in layers (cores on top, then
aggregation, edge, hosts; pods left to right), a Jellyfish as a ring (hosts
outside), every link an edge, and a PNG out of neato.

Sample pictures: /usr/bin/python3 tests/demo/test_picture.py /tmp
(writes /tmp/picture-fattree.png and /tmp/picture-jellyfish.png)."""

import collections
import math
import os
import random
import re
import shutil
import subprocess
import sys

import pytest

TOP = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tools"))

from iplb_demo import fabric as fabric_mod  # noqa: E402
from iplb_demo import picture  # noqa: E402

IPLBCTL = os.environ.get("IPLBCTL", os.path.join(TOP, "tools", "iplbctl", "iplbctl"))
LB, UP, CL = fabric_mod.LB_NODES, fabric_mod.UPSTREAM, fabric_mod.CLIENT


def with_outside(kind, ports, switches, hosts, pairs):
    """The Fabric of these switch and host links, with the LB nodes, the
    upstream router and the client attached as fabric.generate() does: the LB
    nodes off the first switches without hosts."""
    with_hosts = {a if b.startswith("h") else b for a, b in pairs
                  if a.startswith("h") or b.startswith("h")}
    spare = [s for s in switches if s not in with_hosts] + switches
    pairs = pairs + [(spare[0], LB[0]), (spare[1], LB[1]), (UP, LB[0]), (UP, LB[1]),
                     (UP, CL), (UP, CL)]
    fabric = fabric_mod.Fabric(kind=kind, ports=ports, seed=1, switches=switches, hosts=hosts)
    fabric.links = fabric_mod.make_links(pairs)
    return fabric


def fattree(k):
    """The k-port 3-level fat-tree in the generator's order: per pod its k/2
    aggregation switches, then its k/2 edge switches; the (k/2)^2 cores last.
    Also returns the layers: {"core": [...], "pods": [{"aggregation", "edge",
    "hosts"}, ...]}."""
    half = k // 2
    pairs, pods, hosts = [], [], []
    for pod in range(k):
        aggregation = ["s%d" % (pod * k + i) for i in range(half)]
        edge = ["s%d" % (pod * k + half + i) for i in range(half)]
        pod_hosts = []
        for a_n, a in enumerate(aggregation):
            pairs += [(a, e) for e in edge]
            pairs += [(a, "s%d" % (k * k + a_n * half + c)) for c in range(half)]
        for e in edge:
            for _ in range(half):
                host = "h%d" % len(hosts)
                hosts.append(host)
                pod_hosts.append(host)
                pairs.append((e, host))
        pods.append({"aggregation": aggregation, "edge": edge, "hosts": pod_hosts})
    cores = ["s%d" % (k * k + c) for c in range(half * half)]
    switches = ["s%d" % n for n in range(k * k + half * half)]
    return with_outside("fattree", k, switches, hosts, pairs), {"core": cores, "pods": pods}


def jellyfish(switch_count=20, ports=4, host_count=16, seed=1):
    """A random regular graph of the lab's 4-port size: host j on switch j,
    the switches' free ports paired at random (seeded)."""
    switches = ["s%d" % n for n in range(switch_count)]
    hosts = ["h%d" % n for n in range(host_count)]
    host_pairs = [(switches[n], h) for n, h in enumerate(hosts)]
    stubs = [s for n, s in enumerate(switches) for _ in range(ports - (n < host_count))]
    rng = random.Random(seed)
    for _ in range(10000):
        rng.shuffle(stubs)
        pairs = [tuple(sorted((stubs[i], stubs[i + 1]), key=picture.natural))
                 for i in range(0, len(stubs), 2)]
        if all(a != b for a, b in pairs) and len(set(pairs)) == len(pairs):
            break
    else:
        raise AssertionError("no simple graph")
    pairs = sorted(pairs, key=lambda p: (picture.natural(p[0]), picture.natural(p[1])))
    return with_outside("jellyfish", ports, switches, hosts, pairs + host_pairs)


def positions(text):
    """{node: (x, y)} from the DOT text's pinned positions."""
    return {m.group(1): (float(m.group(2)), float(m.group(3)))
            for m in re.finditer(r'"([^"]+)" \[pos="(-?[\d.]+),(-?[\d.]+)!"\]', text)}


def edges(text):
    """The link edges (not the paths drawn over them): (a, b) -> count."""
    return collections.Counter(re.findall(r'"([^"]+)" -- "([^"]+)" \[penwidth', text))


def shortest(fabric, src, dst, avoid=()):
    """A shortest path (BFS, neighbours in name order), None if none."""
    peers = picture.adjacency(fabric)
    before, todo = {src: None}, collections.deque([src])
    while todo:
        node = todo.popleft()
        if node == dst:
            path = [node]
            while before[path[-1]] is not None:
                path.append(before[path[-1]])
            return path[::-1]
        for peer in sorted(peers[node], key=picture.natural):
            if peer not in before and peer not in avoid and \
                    (peer == dst or peer in fabric.switches):
                before[peer] = node
                todo.append(peer)
    return None


def traffic(fabric, src, dst):
    """What the demo passes to picture.dot(), made up: the load of every
    host sending to the one 5 further along on its shortest path, up to 4
    paths src -> dst (through each of its switch's neighbours), and the VIP's
    requests to one backend and its replies."""
    load = collections.Counter()
    hosts = fabric.hosts
    for n, host in enumerate(hosts):
        path = shortest(fabric, host, hosts[(n + 5) % len(hosts)])
        for a, b in zip(path, path[1:]):
            load["%s>%s" % (a, b)] += 1000
    first = fabric.uplink(src).peer(src)
    paths = []
    for peer in sorted(picture.adjacency(fabric)[first] & set(fabric.switches),
                       key=picture.natural):
        rest = shortest(fabric, peer, dst, avoid={first})
        if rest and len(paths) < 4:
            paths.append([src, first] + rest)
    backend = fabric.backends()[1]
    requests = [[CL, UP] + shortest(fabric, lb, backend) for lb in LB]
    replies = [shortest(fabric, backend, lb) + [UP, CL] for lb in LB]
    vip = {"served": {h: 50 for h in fabric.backends()}, "backend": backend,
           "requests": requests, "replies": replies}
    relays = {p[len(p) // 2] for p in paths}
    return load, paths, relays, vip


def draw(fabric, src="h0", dst="h5"):
    load, paths, relays, vip = traffic(fabric, src, dst)
    title = "%s, %d-port (made up here): link load of a permutation; %s -> %s: %d paths" % (
        {"fattree": "Fat-tree"}.get(fabric.kind, "Jellyfish"), fabric.ports, src, dst,
        len(paths))
    return picture.dot(fabric, load, paths, relays, (src, dst), title, vip)


def assert_every_link_is_an_edge(fabric, text):
    wanted = collections.Counter((link.a, link.b) for link in fabric.links)
    assert edges(text) == wanted


def assert_layers(text, layers):
    pos = positions(text)
    y = lambda nodes: [pos[n][1] for n in nodes]  # noqa: E731
    x = lambda nodes: [pos[n][0] for n in nodes]  # noqa: E731
    pods = layers["pods"]
    aggregation = [n for pod in pods for n in pod["aggregation"]]
    edge = [n for pod in pods for n in pod["edge"]]
    hosts = [n for pod in pods for n in pod["hosts"]]
    assert min(y(layers["core"])) > max(y(aggregation))
    assert min(y(aggregation)) > max(y(edge))
    assert min(y(edge)) > max(y(hosts))
    for left, right in zip(pods, pods[1:]):
        for layer in ("aggregation", "edge", "hosts"):
            assert max(x(left[layer])) < min(x(right[layer])), layer
    # Each edge switch above its hosts' middle.
    for pod in pods:
        for switch in pod["edge"]:
            under = [h for h in pod["hosts"] if (switch, h) in edges(text)]
            assert min(x(under)) <= pos[switch][0] <= max(x(under))
    # The outside world left of the fabric; the legend below it.
    fabric_nodes = layers["core"] + aggregation + edge + hosts
    assert max(x(list(LB) + [UP, CL])) < min(x(fabric_nodes))
    assert pos["legend"][1] < min(y(fabric_nodes))


@pytest.mark.parametrize("k", [4, 6, 8])
def test_fattree_is_drawn_in_layers_with_pods_left_to_right(k):
    fabric, layers = fattree(k)
    assert picture.fattree_layers(fabric) == layers
    text = draw(fabric)
    assert set(positions(text)) == set(fabric.nodes) | {"legend"}
    assert_layers(text, layers)
    assert_every_link_is_an_edge(fabric, text)


@pytest.mark.parametrize("ports", [4, 6, 8])
def test_the_generators_fattree_is_drawn_in_layers(ports):
    if not os.access(IPLBCTL, os.X_OK):
        pytest.skip("no iplbctl at %s (make)" % IPLBCTL)
    fabric = fabric_mod.generate(IPLBCTL, "fattree", ports, 1, 4)
    layers = picture.fattree_layers(fabric)
    assert layers is not None
    half = ports // 2
    assert len(layers["core"]) == half * half and len(layers["pods"]) == ports
    assert all(len(pod["hosts"]) == half * half for pod in layers["pods"])
    text = picture.dot(fabric, {}, [], set(), ("h0", "h1"), "t")
    assert_layers(text, layers)
    assert_every_link_is_an_edge(fabric, text)


def test_jellyfish_is_a_ring_with_its_hosts_outside():
    fabric = jellyfish()
    assert picture.fattree_layers(fabric) is None
    text = draw(fabric)
    pos = positions(text)
    assert set(pos) == set(fabric.nodes) | {"legend"}
    switches = sorted(fabric.switches, key=picture.natural)
    cx = sum(pos[s][0] for s in switches) / len(switches)
    cy = sum(pos[s][1] for s in switches) / len(switches)
    distance = lambda n: math.hypot(pos[n][0] - cx, pos[n][1] - cy)  # noqa: E731
    radius = distance(switches[0])
    assert radius > 1
    for switch in switches:
        assert distance(switch) == pytest.approx(radius, abs=0.02), switch
    # Evenly spaced, clockwise in name order: the same angle between neighbours.
    angles = [math.atan2(pos[s][1] - cy, pos[s][0] - cx) for s in switches]
    steps = [(a - b) % (2 * math.pi) for a, b in zip(angles, angles[1:] + angles[:1])]
    for step in steps:
        assert step == pytest.approx(2 * math.pi / len(switches), abs=0.01)
    # Each host outside the ring, nearer its own switch than any other.
    for host in fabric.hosts:
        assert distance(host) > radius + 0.3, host
        switch = fabric.uplink(host).peer(host)
        nearest = min(switches, key=lambda s: math.hypot(pos[s][0] - pos[host][0],
                                                         pos[s][1] - pos[host][1]))
        assert nearest == switch, host
    for node in list(LB) + [UP, CL]:
        assert distance(node) > radius + 0.3, node
    assert pos["legend"][1] < min(y for node, (_, y) in pos.items() if node != "legend")
    assert_every_link_is_an_edge(fabric, text)


def test_the_paths_and_the_vip_are_drawn_over_the_links():
    fabric, _ = fattree(4)
    load, paths, relays, vip = traffic(fabric, "h0", "h5")
    text = picture.dot(fabric, load, paths, relays, ("h0", "h5"), "t", vip)
    dashed = sum(len(p) - 1 for p in paths) + sum(len(p) - 1 for p in vip["replies"])
    assert text.count("style=dashed") == dashed
    assert text.count('color="%s"' % picture.REQUEST_COLOUR) == \
        sum(len(p) - 1 for p in vip["requests"])
    for relay in relays:
        assert re.search(r'"%s" \[shape=circle[^]]*penwidth=3\]' % relay, text)


def test_nodes_the_fabric_does_not_know_get_a_place_too():
    fabric, _ = fattree(4)
    text = picture.dot(fabric, {}, [["h0", "s2", "10.0.0.9", "s4", "h4"]], set(),
                       ("h0", "h4"), "t")
    assert "10.0.0.9" in positions(text)


@pytest.mark.parametrize("kind", ["fattree", "jellyfish"])
def test_render_makes_a_png(kind, tmp_path):
    if shutil.which("neato") is None:
        pytest.skip("no neato (apt-get install graphviz)")
    fabric = fattree(4)[0] if kind == "fattree" else jellyfish()
    png = tmp_path / "fabric.png"
    picture.render(draw(fabric), str(png))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Pinned: neato keeps the positions (relative to each other), in points.
    plain = subprocess.run(["neato", "-Tplain"], input=draw(fabric), text=True,
                           capture_output=True, check=True).stdout
    placed = {f[1]: (float(f[2]), float(f[3])) for f in
              (line.split() for line in plain.splitlines()) if f[0] == "node"}
    pos = positions(draw(fabric))
    for a, b in (("s0", "s1"), ("h0", "h5"), (UP, "s0")):
        assert placed[b][0] - placed[a][0] == pytest.approx(pos[b][0] - pos[a][0], abs=0.02)
        assert placed[b][1] - placed[a][1] == pytest.approx(pos[b][1] - pos[a][1], abs=0.02)


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "/tmp"
    for name, fabric in (("fattree", fattree(4)[0]), ("jellyfish", jellyfish())):
        path = os.path.join(out, "picture-%s.png" % name)
        picture.render(draw(fabric), path)
        print(path)
