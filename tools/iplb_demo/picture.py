# SPDX-License-Identifier: GPL-2.0-or-later
"""The fabric as a Graphviz picture: link width and colour by the load a run
put on it, and the k paths iplbd computed for one host pair drawn over it.

Every node has an explicit, pinned position (pos="x,y!", inches), so neato
only draws the edges: a fat-tree in layers (cores on top, then aggregation,
edge and hosts, pods left to right; the LB nodes, the upstream router and the
client in a column on the left), a Jellyfish as a ring (switches evenly on a
circle in name order, each one's hosts just outside it, the LB nodes outside
their switches and the upstream router and the client further out)."""

import math
import re
import subprocess

from .fabric import CLIENT, LB_NODES, UPSTREAM

REQUEST_COLOUR = "#0057b8"  # the VIP's requests: client -> up -> LB node -> backend
REPLY_COLOUR = "#e07b00"  # a backend's replies over iplb's relay lists
PATH_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
                "#e377c2", "#17becf")

# Fat-tree rows (inches above the hosts) and spacings.
EDGE_Y, AGGREGATION_Y, CORE_Y = 0.9, 2.0, 3.8
HOST_STEP, POD_GAP = 0.6, 0.35
HOST_ROWS_STEP = 0.42  # more than 2 hosts an edge: two staggered rows, closer
OUTSIDE_X = 1.2  # the LB column, left of the fabric


def natural(name):
    """s2 before s10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def adjacency(fabric):
    peers = {}
    for link in fabric.links:
        peers.setdefault(link.a, set()).add(link.b)
        peers.setdefault(link.b, set()).add(link.a)
    return peers


def fattree_layers(fabric):
    """The fat-tree's layers from its links: edges are the switches next to
    hosts, aggregation the other switches next to edges, cores the rest; a pod
    is a connected part of the aggregation, edges and hosts (cores left out).
    Returns {"core": [...], "pods": [{"aggregation": [...], "edge": [...],
    "hosts": [...]}, ...]}, pods in the order of their first host, or None if
    the graph is no 3-level tree of that kind."""
    peers = adjacency(fabric)
    switches, hosts = set(fabric.switches), set(fabric.hosts)
    edges = {s for s in switches if peers.get(s, set()) & hosts}
    aggregation = {s for s in switches - edges if peers.get(s, set()) & edges}
    cores = switches - edges - aggregation
    if not edges or not aggregation or not cores or \
            any(peers.get(c, set()) & (edges | hosts) for c in cores):
        return None
    inside = edges | aggregation | hosts
    pods, seen = [], set()
    for start in sorted(hosts, key=natural):
        if start in seen:
            continue
        members, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node in members:
                continue
            members.add(node)
            todo += [p for p in peers.get(node, ()) if p in inside and p not in members]
        seen |= members
        pod_edges = sorted(members & edges,
                           key=lambda e: min(natural(h) for h in peers[e] & hosts))
        pods.append({
            "aggregation": sorted(members & aggregation, key=natural),
            "edge": pod_edges,
            "hosts": [h for e in pod_edges for h in sorted(peers[e] & hosts, key=natural)]})
    if any(not pod["aggregation"] or not pod["edge"] for pod in pods):
        return None
    # Cores in the order of the aggregation switch they serve (the i-th of each pod).
    rank = {a: i for pod in pods for i, a in enumerate(pod["aggregation"])}
    core = sorted(cores, key=lambda c: (min((rank[a] for a in peers[c] if a in rank),
                                            default=0), natural(c)))
    return {"core": core, "pods": pods}


def spread(items, left, right):
    """Evenly over [left, right], each in the middle of its share."""
    step = (right - left) / max(len(items), 1)
    return {item: left + (n + 0.5) * step for n, item in enumerate(items)}


def fattree_positions(fabric, layers):
    """Hosts in a row (two staggered rows if an edge has more than 2), pod
    after pod; each edge switch above its hosts, the aggregation spread over
    its pod, the cores over the whole width."""
    peers = adjacency(fabric)
    pos = {}
    stagger = max(len(pod["hosts"]) / len(pod["edge"]) for pod in layers["pods"]) > 2
    step = HOST_ROWS_STEP if stagger else HOST_STEP
    x, spans = 0.0, []
    for pod in layers["pods"]:
        for n, host in enumerate(pod["hosts"]):
            pos[host] = (x + n * step, -0.45 * (n % 2) if stagger else 0.0)
        left, right = x - step / 2, x + (len(pod["hosts"]) - 0.5) * step
        spans.append((left, right))
        for edge in pod["edge"]:
            under = [pos[h][0] for h in pod["hosts"] if h in peers[edge]]
            pos[edge] = (sum(under) / len(under), EDGE_Y)
        for node, ax in spread(pod["aggregation"], left, right).items():
            pos[node] = (ax, AGGREGATION_Y)
        x = right + POD_GAP + step / 2
    for node, cx in spread(layers["core"], spans[0][0], spans[-1][1]).items():
        pos[node] = (cx, CORE_Y)
    # The LB nodes left of the fabric, each a bit above the switch it hangs
    # off, in that switch's order (the farther, the higher: its link passes
    # over the nearer one); the upstream router and the client above them.
    left = spans[0][0] - OUTSIDE_X
    switch = {lb: attachment(peers, lb, pos) for lb in LB_NODES}
    lbs = sorted((lb for lb in LB_NODES if switch[lb]), key=lambda lb: pos[switch[lb]][0])
    for n, lb in enumerate(lbs):
        pos[lb] = (left - (len(lbs) - 1 - n) * 0.8, pos[switch[lb]][1] + 0.6 + 0.5 * n)
    column = [pos[lb][0] for lb in lbs] or [left]
    pos[UPSTREAM] = (sum(column) / len(column), CORE_Y)
    pos[CLIENT] = (pos[UPSTREAM][0], CORE_Y + 1.0)
    return pos


def attachment(peers, node, placed):
    """The first placed node `node` has a link to (an LB node's switch)."""
    return next((p for p in sorted(peers.get(node, ()), key=natural) if p in placed), None)


def ring_positions(fabric):
    """Switches evenly on a circle, clockwise from the top in name order;
    each switch's hosts just outside it."""
    switches = sorted(fabric.switches, key=natural)
    peers = adjacency(fabric)
    hosts = set(fabric.hosts)
    attached = {s: sorted(peers.get(s, set()) & hosts, key=natural) for s in switches}
    most = max([len(h) for h in attached.values()] + [1])
    n = max(len(switches), 1)
    # Room for a switch (0.85 in) and for its hosts (0.55 in each) around.
    radius = max(1.5, n * 0.85 / (2 * math.pi), n * most * 0.55 / (2 * math.pi) - 0.7)
    outer = radius + 0.7
    pos, angle = {}, {}
    for i, switch in enumerate(switches):
        angle[switch] = math.pi / 2 - 2 * math.pi * i / n
        pos[switch] = (radius * math.cos(angle[switch]), radius * math.sin(angle[switch]))
        step = 0.55 / outer
        for j, host in enumerate(attached[switch]):
            a = angle[switch] - (j - (len(attached[switch]) - 1) / 2) * step
            pos[host] = (outer * math.cos(a), outer * math.sin(a))
    # The LB nodes outside their switches (further out if it has hosts),
    # the upstream router and the client further out in their direction.
    lb_angles, far = [], radius
    for lb in LB_NODES:
        switch = attachment(peers, lb, angle)
        if switch is None:
            continue
        r = radius + (1.4 if attached[switch] else 0.8)
        pos[lb] = (r * math.cos(angle[switch]), r * math.sin(angle[switch]))
        lb_angles.append(angle[switch])
        far = max(far, r)
    if lb_angles:
        a = math.atan2(sum(map(math.sin, lb_angles)), sum(map(math.cos, lb_angles)))
    else:
        a = math.pi * 3 / 4
    for node, r in ((UPSTREAM, far + 1.0), (CLIENT, far + 1.9)):
        pos[node] = (r * math.cos(a), r * math.sin(a))
    return pos


def positions(fabric, extra=()):
    """{node: (x, y)} in inches for every node of the fabric (and `extra`,
    nodes the paths name that it does not know, in a row below)."""
    layers = fattree_layers(fabric) if fabric.kind == "fattree" else None
    pos = fattree_positions(fabric, layers) if layers else ring_positions(fabric)
    unknown = [n for n in dict.fromkeys(list(fabric.nodes) + list(extra)) if n not in pos]
    if unknown:
        left = min(x for x, _ in pos.values())
        bottom = min(y for _, y in pos.values()) - 1.0
        for n, node in enumerate(unknown):
            pos[node] = (left + n * 0.8, bottom)
    return pos


def legend_position(pos, lines):
    """The legend's centre: below the fabric, left-aligned with it (its size
    estimated from its text: Helvetica 9 pt)."""
    width = max(len(line) for line in lines) * 9 * 0.52 / 72 + 0.3
    height = len(lines) * 9 * 1.2 / 72 + 0.2
    left = min(x for x, _ in pos.values()) - 0.3
    bottom = min(y for _, y in pos.values()) - 0.5
    return left + width / 2, bottom - height / 2


def dot(fabric, link_bytes, paths, relays, pair, title, vip=None):
    """link_bytes: {"a>b": bytes}; paths: [[node, ...], ...] of pair (src, dst);
    relays: the switches their relay lists tunnel to. vip: the VIP's traffic,
    {"served": {backend: requests}, "backend": the one drawn, "requests":
    [[client, ..., backend], ...], "replies": [[backend, ..., LB node], ...]}.
    Positions are pinned: render with neato (render())."""
    peak = max(link_bytes.values(), default=0) or 1
    out = ["graph fabric {",
           # Pinned positions; nodesep: parallel edges (a link and the ways
           # drawn over it) a narrow ribbon, not loops.
           '  graph [layout=neato, overlap=true, nodesep=0.07, outputorder=edgesfirst,'
           ' fontname="Helvetica", label="%s", labelloc=t, fontsize=18];' % title,
           '  node [fontname="Helvetica", fontsize=10, style=filled];',
           '  edge [fontname="Helvetica", fontsize=8];']
    on_paths = {n for path in paths for n in path[1:-1]}
    for node in fabric.switches:
        out.append('  "%s" [shape=circle, fillcolor="%s", width=0.45, fixedsize=true%s];'
                   % (node, "#ffe08a" if node in on_paths else "#dddddd",
                      ", penwidth=3" if node in relays else ""))
    served = (vip or {}).get("served", {})
    for node in fabric.hosts:
        colour = "#ffb3b3" if node in pair else "#c7f0c7" if node in served else "#f5f5f5"
        label = "%s\\n%d req" % (node, served[node]) if node in served else node
        size = "height=0.4, width=0.5" if node in served else "height=0.25, width=0.35"
        out.append('  "%s" [shape=box, fillcolor="%s", %s, fixedsize=true, fontsize=8,'
                   ' label="%s"];' % (node, colour, size, label))
    for node in list(LB_NODES) + [UPSTREAM]:
        out.append('  "%s" [shape=hexagon, fillcolor="#cce5ff", fontsize=9];' % node)
    out.append('  "%s" [shape=box, fillcolor="#cce5ff", fontsize=9, label="%s (client)"];'
               % (CLIENT, CLIENT))
    drawn = [n for path in list(paths) + list((vip or {}).get("requests", [])) +
             list((vip or {}).get("replies", [])) for n in path]
    pos = positions(fabric, drawn)
    for node, (x, y) in pos.items():
        out.append('  "%s" [pos="%.2f,%.2f!"];' % (node, x, y))
    for link in fabric.links:
        load = max(link_bytes.get("%s>%s" % (link.a, link.b), 0),
                   link_bytes.get("%s>%s" % (link.b, link.a), 0))
        share = load / peak
        grey = int(200 - 170 * share)
        out.append('  "%s" -- "%s" [penwidth=%.1f, color="#%02x%02x%02x"];'
                   % (link.a, link.b, 0.6 + 5 * share, grey, grey, grey))
    for number, path in enumerate(paths):
        colour = PATH_COLOURS[number % len(PATH_COLOURS)]
        for a, b in zip(path, path[1:]):
            out.append('  "%s" -- "%s" [color="%s", penwidth=2, style=dashed];'
                       % (a, b, colour))
    for kind, colour, style in (("requests", REQUEST_COLOUR, "bold"),
                                ("replies", REPLY_COLOUR, "dashed")):
        for path in (vip or {}).get(kind, []):
            for a, b in zip(path, path[1:]):
                out.append('  "%s" -- "%s" [color="%s", penwidth=2.5, style=%s];'
                           % (a, b, colour, style))
    vip_lines = []
    if vip:
        vip_lines = ["VIP: requests per backend %s (green)" % " ".join(
                         "%s=%d" % item for item in sorted(served.items())),
                     "blue: requests to %s (client, up, LB nodes, fabric)" % vip["backend"],
                     "orange dashed: %s's replies over iplb's relay lists" % vip["backend"]]
    lines = (["path %d: %s" % (n + 1, " ".join(p)) for n, p in enumerate(paths)] + vip_lines +
             ["bold circles: relays (tunnel endpoints); grey width: link load"])
    out.append('  "legend" [shape=note, fillcolor=white, fontsize=9, label="%s\\l"];'
               % "\\l".join(lines))
    out.append('  "legend" [pos="%.2f,%.2f!"];' % legend_position(pos, lines))
    out.append("}")
    return "\n".join(out) + "\n"


def render(dot_text, png_path):
    subprocess.run(["neato", "-Tpng", "-Gdpi=80", "-o", png_path], input=dot_text, text=True,
                   check=True)
