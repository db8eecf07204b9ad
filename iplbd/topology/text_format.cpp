// SPDX-License-Identifier: GPL-2.0-or-later
#include "topology/text_format.hpp"

#include <cstdio>

namespace iplb {

namespace {

void line(std::string &out, const char *format, auto... args)
{
	char buf[256];
	std::snprintf(buf, sizeof(buf), format, args...);
	out += buf;
}

} // namespace

std::string topology_to_text(const Topology &t)
{
	std::string out;
	size_t routers = 0, networks = 0;
	for (const Node &n : t.nodes())
		(n.kind == NodeKind::router ? routers : networks)++;
	line(out, "Topology: %zu routers, %zu transit networks, %zu links, %zu prefixes\n", routers,
	     networks, t.edge_count(), t.prefixes().size());

	out += "\nNode             Kind     Relay            Links (to:cost)\n";
	for (Topology::Vertex v = 0; v < t.vertex_count(); v++) {
		const Node &n = t.node(v);
		line(out, "%-16s %-8s %-16s", to_string(n.id).c_str(),
		     n.kind == NodeKind::router ? "router" : "network",
		     n.kind == NodeKind::router ? to_string(n.relay).c_str() : "-");
		t.for_each_out(v, [&](Topology::Vertex w, uint32_t cost) {
			line(out, " %s:%u", to_string(t.node(w).id).c_str(), cost);
		});
		out += "\n";
	}

	out += "\nPrefix             Router           Cost  Kind\n";
	for (const PrefixRoute &p : t.prefixes())
		line(out, "%-18s %-16s %5u  %s\n", to_string(p.prefix).c_str(),
		     to_string(t.node(p.vertex).id).c_str(), p.cost,
		     std::string(to_string(p.kind)).c_str());
	return out;
}

} // namespace iplb
