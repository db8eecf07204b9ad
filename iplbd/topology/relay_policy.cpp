// SPDX-License-Identifier: GPL-2.0-or-later
#include "topology/relay_policy.hpp"

namespace iplb {

Result<RelayPolicy, Error> parse_relay_policy(std::string_view text)
{
	if (text == "router-id")
		return RelayPolicy{RelayPolicy::Source::router_id, {}};
	if (text == "loopback")
		return RelayPolicy{RelayPolicy::Source::loopback, {}};
	if (text.starts_with("prefix:")) {
		auto within = parse_prefix(text.substr(7));
		if (!within)
			return unexpected(within.error());
		return RelayPolicy{RelayPolicy::Source::prefix, *within};
	}
	return unexpected(Error{"unknown relay source '" + std::string(text) +
				"': expected router-id, loopback or prefix:A.B.C.D/L"});
}

Result<RelayAssignment, Error> assign_relays(const Topology &t, const RelayPolicy &policy)
{
	std::vector<std::optional<Ipv4>> relay(t.vertex_count());
	if (policy.source != RelayPolicy::Source::router_id)
		for (const PrefixRoute &p : t.prefixes()) { // sorted: lowest first
			if (p.prefix.length != 32 || p.kind != PrefixKind::stub || relay[p.vertex])
				continue;
			if (policy.source == RelayPolicy::Source::prefix &&
			    !policy.within.contains(p.prefix.address))
				continue;
			relay[p.vertex] = p.prefix.address;
		}

	RelayAssignment out;
	TopologyBuilder b;
	for (Topology::Vertex v = 0; v < t.vertex_count(); v++) {
		const Node &n = t.node(v);
		Status s = ok();
		if (n.kind == NodeKind::network) {
			s = b.add_network(n.id);
		} else {
			if (!relay[v] && policy.source != RelayPolicy::Source::router_id)
				out.fallbacks++;
			s = b.add_router(n.id, relay[v].value_or(n.id));
		}
		if (!s)
			return unexpected(s.error());
	}
	for (Topology::Vertex v = 0; v < t.vertex_count(); v++) {
		std::optional<Error> error;
		t.for_each_out(v, [&](Topology::Vertex w, uint32_t cost) {
			Status s = t.node(v).kind == NodeKind::network
					   ? b.attach_to_network(t.node(v).id, t.node(w).id)
					   : b.add_link(t.node(v).id, t.node(w).id, cost);
			if (!s && !error)
				error = s.error();
		});
		if (error)
			return unexpected(*error);
	}
	for (const PrefixRoute &p : t.prefixes())
		if (auto s = b.add_prefix(t.node(p.vertex).id, p.prefix, p.cost, p.kind); !s)
			return unexpected(s.error());
	auto built = b.build();
	if (!built)
		return unexpected(built.error());
	out.topology = *built;
	return out;
}

} // namespace iplb
