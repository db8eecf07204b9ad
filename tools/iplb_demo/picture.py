# SPDX-License-Identifier: GPL-2.0-or-later
"""The fabric as a Graphviz picture: link width and colour by the load a run
put on it, and the k paths iplbd computed for one host pair drawn over it."""

import subprocess

from .fabric import CLIENT, LB_NODES, UPSTREAM

REQUEST_COLOUR = "#0057b8"  # the VIP's requests: client -> up -> LB node -> backend
REPLY_COLOUR = "#e07b00"  # a backend's replies over iplb's relay lists
PATH_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
                "#e377c2", "#17becf")


def dot(fabric, link_bytes, paths, relays, pair, title, vip=None):
    """link_bytes: {"a>b": bytes}; paths: [[node, ...], ...] of pair (src, dst);
    relays: the switches their relay lists tunnel to. vip: the VIP's traffic,
    {"served": {backend: requests}, "backend": the one drawn, "requests":
    [[client, ..., backend], ...], "replies": [[backend, ..., LB node], ...]}."""
    peak = max(link_bytes.values(), default=0) or 1
    out = ["graph fabric {",
           '  graph [overlap=false, outputorder=edgesfirst, fontname="Helvetica",'
           ' label="%s", labelloc=t, fontsize=18];' % title,
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
    legend = "\\l".join(["path %d: %s" % (n + 1, " ".join(p)) for n, p in enumerate(paths)] +
                        vip_lines +
                        ["bold circles: relays (tunnel endpoints); grey width: link load"])
    out.append('  legend [shape=note, fillcolor=white, fontsize=9, label="%s\\l"];' % legend)
    out.append("}")
    return "\n".join(out) + "\n"


def render(dot_text, png_path):
    subprocess.run(["neato", "-Tpng", "-Gdpi=80", "-o", png_path], input=dot_text, text=True,
                   check=True)
