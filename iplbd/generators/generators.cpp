// SPDX-License-Identifier: GPL-2.0-or-later
#include "generators/generators.hpp"

#include "util/splitmix.hpp"

#include <algorithm>
#include <optional>
#include <set>
#include <vector>

namespace iplb {

namespace {

Ipv4 quad(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return Ipv4{a << 24 | b << 16 | c << 8 | d};
}

Status link_both_ways(TopologyBuilder &builder, Ipv4 a, Ipv4 b, uint32_t cost)
{
	if (auto s = builder.add_link(a, b, cost); !s)
		return s;
	return builder.add_link(b, a, cost);
}

Status add_host(TopologyBuilder &builder, Ipv4 host, Ipv4 uplink, uint32_t cost)
{
	if (auto s = builder.add_router(host); !s)
		return s;
	if (auto s = link_both_ways(builder, host, uplink, cost); !s)
		return s;
	return builder.add_prefix(host, Ipv4Prefix{host, 32}, 0);
}

using Rng = SplitMix64;

bool connected(unsigned n, const std::set<std::pair<unsigned, unsigned>> &edges)
{
	std::vector<std::vector<unsigned>> adj(n);
	for (auto [a, b] : edges) {
		adj[a].push_back(b);
		adj[b].push_back(a);
	}
	std::vector<bool> seen(n, false);
	std::vector<unsigned> stack{0};
	seen[0] = true;
	size_t reached = 1;
	while (!stack.empty()) {
		const unsigned v = stack.back();
		stack.pop_back();
		for (unsigned w : adj[v])
			if (!seen[w]) {
				seen[w] = true;
				reached++;
				stack.push_back(w);
			}
	}
	return reached == n;
}

// One attempt at the Jellyfish construction; empty if it came out
// disconnected.
std::set<std::pair<unsigned, unsigned>> jellyfish_links(const std::vector<unsigned> &ports,
							Rng &rng)
{
	const unsigned n = static_cast<unsigned>(ports.size());
	std::vector<unsigned> free = ports;
	std::set<std::pair<unsigned, unsigned>> edges;
	auto key = [](unsigned a, unsigned b) {
		return std::pair{std::min(a, b), std::max(a, b)};
	};

	// Switches with a free port; pair two at random until none can pair.
	std::vector<unsigned> open;
	for (unsigned v = 0; v < n; v++)
		if (free[v] > 0)
			open.push_back(v);
	auto use_port = [&](unsigned v) {
		if (--free[v] == 0)
			open.erase(std::find(open.begin(), open.end(), v));
	};
	while (open.size() >= 2) {
		std::optional<std::pair<unsigned, unsigned>> pick;
		for (int tries = 0; tries < 64 && !pick; tries++) {
			const unsigned a = open[rng.below(open.size())];
			const unsigned b = open[rng.below(open.size())];
			if (a != b && !edges.count(key(a, b)))
				pick = key(a, b);
		}
		if (!pick) {
			// Few switches are left open: look at every pair of them.
			std::vector<std::pair<unsigned, unsigned>> candidates;
			for (size_t i = 0; i < open.size(); i++)
				for (size_t j = i + 1; j < open.size(); j++)
					if (!edges.count(key(open[i], open[j])))
						candidates.push_back(key(open[i], open[j]));
			if (candidates.empty())
				break;
			pick = candidates[rng.below(candidates.size())];
		}
		edges.insert(*pick);
		use_port(pick->first);
		use_port(pick->second);
	}
	// A switch with two or more free ports: break a link (x, y) that does
	// not touch it and join it to both ends.
	for (unsigned s = 0; s < n; s++) {
		while (free[s] >= 2) {
			std::vector<std::pair<unsigned, unsigned>> breakable;
			for (auto [x, y] : edges)
				if (x != s && y != s && !edges.count(key(s, x)) &&
				    !edges.count(key(s, y)))
					breakable.emplace_back(x, y);
			if (breakable.empty())
				break;
			auto [x, y] = breakable[rng.below(breakable.size())];
			edges.erase({x, y});
			edges.insert(key(s, x));
			edges.insert(key(s, y));
			free[s] -= 2;
		}
	}
	if (!connected(n, edges))
		return {};
	return edges;
}

} // namespace

Result<TopologySnapshot, Error> make_fat_tree(const FatTreeOptions &o)
{
	if (o.k < 2 || o.k > 64 || o.k % 2 != 0)
		return unexpected(
			Error{"fat-tree k must be even and in 2-64, not " + std::to_string(o.k)});
	if (o.cost == 0 || o.cost > TopologyBuilder::max_link_cost)
		return unexpected(Error{"link cost must be in 1-65535"});
	const unsigned half = o.k / 2;
	TopologyBuilder b;
	auto core = [](unsigned i, unsigned j) {
		return quad(10, 200, i, j);
	};
	auto agg = [](unsigned p, unsigned a) {
		return quad(10, p + 1, a, 1);
	};
	auto edge = [half](unsigned p, unsigned e) {
		return quad(10, p + 1, half + e, 1);
	};

	for (unsigned i = 0; i < half; i++)
		for (unsigned j = 0; j < half; j++)
			if (auto s = b.add_router(core(i, j)); !s)
				return unexpected(s.error());
	for (unsigned p = 0; p < o.k; p++) {
		for (unsigned a = 0; a < half; a++) {
			if (auto s = b.add_router(agg(p, a)); !s)
				return unexpected(s.error());
			// Aggregation switch a of every pod uplinks to core row a.
			for (unsigned j = 0; j < half; j++)
				if (auto s = link_both_ways(b, agg(p, a), core(a, j), o.cost); !s)
					return unexpected(s.error());
		}
		for (unsigned e = 0; e < half; e++) {
			if (auto s = b.add_router(edge(p, e)); !s)
				return unexpected(s.error());
			for (unsigned a = 0; a < half; a++)
				if (auto s = link_both_ways(b, edge(p, e), agg(p, a), o.cost); !s)
					return unexpected(s.error());
			if (!o.hosts)
				continue;
			for (unsigned h = 0; h < half; h++) {
				const Ipv4 host = quad(10, p + 1, half + e, h + 2);
				if (auto s = add_host(b, host, edge(p, e), o.cost); !s)
					return unexpected(s.error());
			}
		}
	}
	return b.build();
}

Result<TopologySnapshot, Error> make_jellyfish(const JellyfishOptions &o)
{
	if (o.switches < 2 || o.switches > 65536)
		return unexpected(Error{"jellyfish needs 2-65536 switches"});
	if (o.hosts > 65536)
		return unexpected(Error{"jellyfish supports at most 65536 hosts"});
	if (o.cost == 0 || o.cost > TopologyBuilder::max_link_cost)
		return unexpected(Error{"link cost must be in 1-65535"});
	std::vector<unsigned> hosts(o.switches, o.hosts / o.switches);
	for (unsigned i = 0; i < o.hosts % o.switches; i++)
		hosts[i]++;
	std::vector<unsigned> ports(o.switches);
	for (unsigned i = 0; i < o.switches; i++) {
		if (hosts[i] + 1 > o.ports)
			return unexpected(Error{std::to_string(o.hosts) + " hosts on " +
						std::to_string(o.switches) + " switches of " +
						std::to_string(o.ports) +
						" ports leave no port to the network"});
		ports[i] = o.ports - hosts[i];
	}

	Rng rng(o.seed);
	std::set<std::pair<unsigned, unsigned>> links;
	for (int attempt = 0; attempt < 100 && links.empty(); attempt++)
		links = jellyfish_links(ports, rng);
	if (links.empty())
		return unexpected(
			Error{"no connected jellyfish with these options (too few ports?)"});

	TopologyBuilder b;
	auto sw = [](unsigned i) {
		return quad(10, 1, i >> 8, i & 0xff);
	};
	for (unsigned i = 0; i < o.switches; i++)
		if (auto s = b.add_router(sw(i)); !s)
			return unexpected(s.error());
	for (auto [x, y] : links)
		if (auto s = link_both_ways(b, sw(x), sw(y), o.cost); !s)
			return unexpected(s.error());
	unsigned next_host = 0;
	for (unsigned i = 0; i < o.switches; i++)
		for (unsigned h = 0; h < hosts[i]; h++, next_host++) {
			const Ipv4 host = quad(10, 2, next_host >> 8, next_host & 0xff);
			if (auto s = add_host(b, host, sw(i), o.cost); !s)
				return unexpected(s.error());
		}
	return b.build();
}

} // namespace iplb
