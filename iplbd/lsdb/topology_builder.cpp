// SPDX-License-Identifier: GPL-2.0-or-later
#include "lsdb/topology_builder.hpp"

#include "lsdb/lsa.hpp"

#include <map>
#include <set>
#include <tuple>

namespace iplb {

namespace {

using lsa::RouterLink;

struct AreaRouter {
	Ipv4 area;
	Ipv4 id;
	friend auto operator<=>(const AreaRouter &, const AreaRouter &) = default;
};

// What the parsed LSDB holds, by area.
struct Parsed {
	std::map<AreaRouter, lsa::RouterLsa> routers;
	std::map<AreaRouter, lsa::NetworkLsa> networks; // id = DR interface address
	std::vector<std::tuple<Ipv4, Ipv4Prefix, uint32_t, PrefixKind>> announced;
};

bool links_back(const lsa::RouterLsa &neighbour, Ipv4 to)
{
	for (const RouterLink &l : neighbour.links)
		if ((l.kind == RouterLink::point_to_point) && l.id == to)
			return true;
	return false;
}

std::optional<uint16_t> transit_cost(const lsa::RouterLsa &router, Ipv4 network)
{
	for (const RouterLink &l : router.links)
		if (l.kind == RouterLink::transit && l.id == network)
			return l.metric;
	return std::nullopt;
}

bool attached(const lsa::NetworkLsa &network, Ipv4 router)
{
	for (Ipv4 r : network.routers)
		if (r == router)
			return true;
	return false;
}

Ipv4Prefix prefix_of(Ipv4 address, uint8_t length)
{
	return {Ipv4{address.value & Ipv4Prefix::mask_of(length)}, length};
}

} // namespace

Result<LsdbTopology, Error> build_topology(const LsaDatabase &lsdb, const RelayPolicy &relays)
{
	LsdbTopologyStats stats;
	Parsed parsed;
	for (const auto &[key, stored] : lsdb.entries()) {
		if (stored.truncated) {
			stats.malformed++;
			continue;
		}
		auto parsed_lsa = lsa::parse(stored.bytes);
		if (!parsed_lsa) {
			stats.malformed++;
			continue;
		}
		const auto &h = parsed_lsa->header;
		if (auto *r = std::get_if<lsa::RouterLsa>(&parsed_lsa->body)) {
			parsed.routers[{key.area, h.adv_router}] = *r;
		} else if (auto *n = std::get_if<lsa::NetworkLsa>(&parsed_lsa->body)) {
			parsed.networks[{key.area, h.id}] = *n;
		} else if (auto *s = std::get_if<lsa::SummaryLsa>(&parsed_lsa->body)) {
			if (h.type == lsa::asbr_summary || s->metric >= lsa::ls_infinity)
				stats.ignored++;
			else
				parsed.announced.emplace_back(h.adv_router,
							      prefix_of(h.id, s->length), s->metric,
							      PrefixKind::summary);
		} else if (auto *e = std::get_if<lsa::ExternalLsa>(&parsed_lsa->body)) {
			if (e->metric >= lsa::ls_infinity)
				stats.ignored++;
			else
				parsed.announced.emplace_back(
					h.adv_router, prefix_of(h.id, e->length), e->metric,
					e->type2 ? PrefixKind::external2 : PrefixKind::external1);
		} else {
			stats.ignored++;
		}
	}

	// Links and prefixes, deduplicated: parallel links and repeated
	// announcements keep their lowest cost.
	std::set<Ipv4> router_ids, network_ids;
	std::map<std::pair<Ipv4, Ipv4>, uint32_t> router_links;	 // router -> router
	std::map<std::pair<Ipv4, Ipv4>, uint32_t> network_links; // router -> network
	std::set<std::pair<Ipv4, Ipv4>> members;		 // network -> router
	std::map<std::pair<Ipv4Prefix, Ipv4>, std::pair<uint32_t, PrefixKind>> prefixes;
	auto keep_min = [](auto &map, const auto &key, uint32_t cost) {
		auto [it, fresh] = map.emplace(key, cost);
		if (!fresh && cost < it->second)
			it->second = cost;
	};
	auto announce = [&](Ipv4 router, Ipv4Prefix prefix, uint32_t cost, PrefixKind kind) {
		auto [it, fresh] =
			prefixes.emplace(std::pair{prefix, router}, std::pair{cost, kind});
		if (!fresh && cost < it->second.first)
			it->second = {cost, kind};
	};

	for (const auto &[where, router] : parsed.routers)
		router_ids.insert(where.id);
	for (const auto &[where, router] : parsed.routers) {
		for (const RouterLink &l : router.links) {
			switch (l.kind) {
			case RouterLink::point_to_point: {
				auto back = parsed.routers.find({where.area, l.id});
				if (back == parsed.routers.end() ||
				    !links_back(back->second, where.id) || l.id == where.id) {
					stats.one_way++;
					break;
				}
				keep_min(router_links, std::pair{where.id, l.id}, l.metric);
				break;
			}
			case RouterLink::transit: {
				auto net = parsed.networks.find({where.area, l.id});
				if (net == parsed.networks.end() ||
				    !attached(net->second, where.id)) {
					stats.one_way++;
					break;
				}
				network_ids.insert(l.id);
				keep_min(network_links, std::pair{where.id, l.id}, l.metric);
				announce(where.id, prefix_of(l.id, net->second.length), l.metric,
					 PrefixKind::network);
				break;
			}
			case RouterLink::stub: {
				auto length = lsa::mask_length(l.data);
				if (!length) {
					stats.malformed++;
					break;
				}
				announce(where.id, prefix_of(l.id, *length), l.metric,
					 PrefixKind::stub);
				break;
			}
			case RouterLink::virtual_link:
				stats.ignored++;
				break;
			}
		}
	}
	for (const auto &[where, network] : parsed.networks) {
		for (Ipv4 r : network.routers) {
			auto router = parsed.routers.find({where.area, r});
			if (router == parsed.routers.end() ||
			    !transit_cost(router->second, where.id)) {
				stats.one_way++;
				continue;
			}
			if (network_ids.count(where.id))
				members.insert({where.id, r});
		}
	}

	TopologyBuilder b;
	for (Ipv4 id : router_ids)
		if (auto s = b.add_router(id); !s)
			return unexpected(s.error());
	for (Ipv4 id : network_ids)
		if (auto s = b.add_network(id); !s)
			return unexpected(s.error());
	for (const auto &[link, cost] : router_links)
		if (auto s = b.add_link(link.first, link.second, cost); !s)
			return unexpected(s.error());
	for (const auto &[link, cost] : network_links)
		if (auto s = b.add_link(link.first, link.second, cost); !s)
			return unexpected(s.error());
	for (const auto &[network, router] : members)
		if (auto s = b.attach_to_network(network, router); !s)
			return unexpected(s.error());
	for (const auto &[router, prefix, cost, kind] : parsed.announced) {
		if (router_ids.count(router))
			announce(router, prefix, cost, kind);
		else
			stats.ignored++; // announced by a router outside our areas
	}
	for (const auto &[key, value] : prefixes)
		if (auto s = b.add_prefix(key.second, key.first, value.first, value.second); !s)
			return unexpected(s.error());

	auto built = b.build();
	if (!built)
		return unexpected(built.error());
	auto assigned = assign_relays(**built, relays);
	if (!assigned)
		return unexpected(assigned.error());

	stats.routers = router_ids.size();
	stats.networks = network_ids.size();
	stats.links = (*built)->edge_count();
	stats.prefixes = prefixes.size();
	return LsdbTopology{assigned->topology, stats};
}

} // namespace iplb
