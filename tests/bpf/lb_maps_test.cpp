// SPDX-License-Identifier: GPL-2.0-or-later
// The load balancer's maps from user space (iplbd/datapath/lb_programs): a
// VIP's map version reads back whole as installed, a new version goes into
// the other slot and the VIP flips to it, a refused version changes nothing,
// VIPs never share bucket ranges and DIP entries are reused only when no
// installed map names them; a staged version is read by no packet until
// activated, and its entries are not handed out meanwhile. Needs root
// (CAP_BPF).
#include "datapath/lb_programs.hpp"

#include <gtest/gtest.h>

#include <netinet/in.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace iplb {
namespace {

IpAddress v4(const char *text)
{
	return *parse_ip_address(text);
}

const VipKey web{v4("192.0.2.10"), IPPROTO_TCP, 80};
const VipKey dns{v4("192.0.2.53"), IPPROTO_UDP, 0};

// B buckets dealt round-robin to `owners`, none moved yet.
LbMapVersion version_of(uint32_t generation, const std::vector<IpAddress> &owners,
			uint32_t buckets = 16)
{
	LbMapVersion v;
	v.generation = generation;
	for (const auto &o : owners)
		v.pool.push_back({o, 1, LbBackendState::active});
	for (uint32_t i = 0; i < buckets; i++)
		v.buckets.push_back({owners.empty()
					     ? std::nullopt
					     : std::optional<IpAddress>(owners[i % owners.size()]),
				     std::nullopt, 0});
	return v;
}

TEST(MuxMaps, AVersionReadsBackAsInstalledAndTheNextFlipsTheSlot)
{
	auto mux = MuxProgram::load();
	ASSERT_TRUE(mux) << mux.error().message;
	auto &maps = mux->maps();
	const auto a = v4("10.1.0.1"), b = v4("10.1.0.2"), c = v4("10.1.0.3");

	const auto first = version_of(1, {a, b});
	ASSERT_TRUE(maps.install(web, first));
	auto installed = maps.vip(web);
	ASSERT_TRUE(installed && *installed) << (installed ? "" : installed.error().message);
	EXPECT_EQ((*installed)->map, first);
	EXPECT_EQ((*installed)->active_slot, 0u);

	// c takes bucket 0 from a: a is recorded as its previous DIP; a stays
	// in the pool as draining.
	auto second = version_of(2, {a, b});
	second.pool[0].state = LbBackendState::draining;
	second.pool.push_back({c, 3, LbBackendState::active});
	second.buckets[0] = {c, a, 1700000000};
	ASSERT_TRUE(maps.install(web, second));
	installed = maps.vip(web);
	ASSERT_TRUE(installed && *installed);
	EXPECT_EQ((*installed)->map, second);
	EXPECT_EQ((*installed)->active_slot, 1u);

	// a leaves the pool, but a bucket still names it as previous: it is
	// kept (as a former backend), and not listed in the pool.
	auto third = second;
	third.generation = 3;
	third.pool.erase(third.pool.begin());
	for (auto &bucket : third.buckets)
		if (bucket.dip == a)
			bucket = {b, a, 1700000100};
	ASSERT_TRUE(maps.install(web, third));
	installed = maps.vip(web);
	ASSERT_TRUE(installed && *installed);
	EXPECT_EQ((*installed)->map, third);
	EXPECT_EQ((*installed)->active_slot, 0u);
}

TEST(MuxMaps, ARefusedVersionChangesNothing)
{
	auto mux = MuxProgram::load();
	ASSERT_TRUE(mux) << mux.error().message;
	auto &maps = mux->maps();
	const auto a = v4("10.1.0.1"), b = v4("10.1.0.2");
	const auto installed = version_of(5, {a, b});
	ASSERT_TRUE(maps.install(web, installed));

	struct Refused {
		const char *why;
		LbMapVersion version;
		std::string message;
	};
	auto mixed = version_of(6, {a, b});
	mixed.buckets[3].dip = v4("2001:db8::1");
	auto twice = version_of(6, {a, b});
	twice.pool.push_back(twice.pool.front());
	const Refused cases[] = {
		{"not newer", version_of(5, {a}), "not newer"},
		{"other bucket count", version_of(6, {a}, 32), "keeps its bucket count"},
		{"too few buckets", version_of(6, {a}, 8), "16 to 65536"},
		{"two families", mixed, "another family"},
		{"a backend twice", twice, "listed twice"},
	};
	for (const auto &c : cases) {
		auto s = maps.install(web, c.version);
		ASSERT_FALSE(s) << c.why;
		EXPECT_NE(s.error().message.find(c.message), std::string::npos)
			<< c.why << ": " << s.error().message;
		auto now = maps.vip(web);
		ASSERT_TRUE(now && *now);
		EXPECT_EQ((*now)->map, installed) << c.why;
		EXPECT_EQ((*now)->active_slot, 0u) << c.why;
	}
}

TEST(MuxMaps, VipsKeepTheirOwnBucketsAndDipEntriesAreReusedOnlyWhenFree)
{
	auto mux = MuxProgram::load();
	ASSERT_TRUE(mux) << mux.error().message;
	auto &maps = mux->maps();
	const auto a = v4("10.1.0.1"), b = v4("10.1.0.2"), c = v4("10.1.0.3"), d = v4("10.1.0.4");
	const auto web_map = version_of(1, {a, b}, 64);
	const auto dns_map = version_of(1, {b, c}, 32);
	ASSERT_TRUE(maps.install(web, web_map));
	ASSERT_TRUE(maps.install(dns, dns_map));
	// Several versions of dns: both of its slots get written.
	for (uint32_t g = 2; g < 5; g++)
		ASSERT_TRUE(maps.install(dns, version_of(g, {c, d}, 32)));
	ASSERT_TRUE(maps.remove(web));
	EXPECT_FALSE(*maps.vip(web));
	EXPECT_FALSE(maps.remove(web)) << "gone already";
	// A new VIP after web's removal may take web's space and a and b's DIP
	// entries, never dns's.
	const VipKey other{v4("192.0.2.11"), IPPROTO_TCP, 443};
	const auto other_map = version_of(1, {v4("10.2.0.1"), v4("10.2.0.2")}, 64);
	ASSERT_TRUE(maps.install(other, other_map));
	auto vips = maps.vips();
	ASSERT_TRUE(vips) << vips.error().message;
	ASSERT_EQ(vips->size(), 2u);
	for (const auto &v : *vips) {
		if (v.key == dns)
			EXPECT_EQ(v.map, version_of(4, {c, d}, 32));
		else
			EXPECT_EQ(v.map, other_map);
	}
}

// What vips() reads, whole, to tell that a refusal changed nothing.
struct Seen {
	VipKey key;
	uint32_t id, active_slot;
	LbMapVersion map;
	std::optional<uint32_t> staged;

	friend bool operator==(const Seen &, const Seen &) = default;
};

std::vector<Seen> seen(const MuxMaps &maps)
{
	auto vips = maps.vips();
	EXPECT_TRUE(vips) << vips.error().message;
	std::vector<Seen> out;
	if (vips)
		for (const auto &v : *vips)
			out.push_back({v.key, v.id, v.active_slot, v.map, v.staged});
	return out;
}

std::optional<uint32_t> staged_of(const MuxMaps &maps, const VipKey &vip)
{
	auto staged = maps.staged_generation(vip);
	EXPECT_TRUE(staged) << staged.error().message;
	return staged ? *staged : std::nullopt;
}

TEST(MuxMaps, AStagedVersionIsReadOnlyOnceActivated)
{
	auto mux = MuxProgram::load();
	ASSERT_TRUE(mux) << mux.error().message;
	auto &maps = mux->maps();
	const auto a = v4("10.1.0.1"), b = v4("10.1.0.2"), c = v4("10.1.0.3");
	const auto first = version_of(1, {a, b});
	ASSERT_TRUE(maps.install(web, first));
	EXPECT_EQ(staged_of(maps, web), std::nullopt);

	const auto second = version_of(2, {c});
	ASSERT_TRUE(maps.stage(web, second));
	auto now = maps.vip(web);
	ASSERT_TRUE(now && *now);
	EXPECT_EQ((*now)->map, first) << "staging flipped the VIP";
	EXPECT_EQ((*now)->active_slot, 0u);
	EXPECT_EQ((*now)->staged, std::optional<uint32_t>(2));
	EXPECT_EQ(staged_of(maps, web), std::optional<uint32_t>(2));

	// A generation not staged: refused, naming both, nothing changed.
	const auto before = seen(maps);
	for (uint32_t wrong : {3u, 0u}) {
		auto s = maps.activate(web, wrong);
		ASSERT_FALSE(s) << wrong;
		EXPECT_NE(s.error().message.find("192.0.2.10 tcp port 80"), std::string::npos)
			<< s.error().message;
		EXPECT_NE(s.error().message.find("active 1, staged 2"), std::string::npos)
			<< s.error().message;
		EXPECT_EQ(seen(maps), before) << wrong;
	}
	EXPECT_FALSE(maps.activate(dns, 1)) << "no such VIP";
	// The active generation: nothing to do.
	ASSERT_TRUE(maps.activate(web, 1));
	EXPECT_EQ(seen(maps), before);

	ASSERT_TRUE(maps.activate(web, 2));
	now = maps.vip(web);
	ASSERT_TRUE(now && *now);
	EXPECT_EQ((*now)->map, second);
	EXPECT_EQ((*now)->active_slot, 1u);
	EXPECT_EQ((*now)->staged, std::nullopt);
	EXPECT_EQ(staged_of(maps, web), std::nullopt);
	const auto after = seen(maps);
	ASSERT_TRUE(maps.activate(web, 2)) << "twice: a no-op";
	EXPECT_EQ(seen(maps), after);
	auto back = maps.activate(web, 1);
	ASSERT_FALSE(back) << "the old slot is not staged";
	EXPECT_NE(back.error().message.find("active 2, staged none"), std::string::npos)
		<< back.error().message;
	EXPECT_EQ(seen(maps), after);
}

TEST(MuxMaps, StagingAgainReplacesTheStagedVersion)
{
	auto mux = MuxProgram::load();
	ASSERT_TRUE(mux) << mux.error().message;
	auto &maps = mux->maps();
	const auto a = v4("10.1.0.1"), b = v4("10.1.0.2"), c = v4("10.1.0.3");
	ASSERT_TRUE(maps.install(web, version_of(1, {a})));
	ASSERT_TRUE(maps.stage(web, version_of(5, {b})));
	// An older generation than the one staged, but newer than the active.
	const auto third = version_of(3, {c, a});
	ASSERT_TRUE(maps.stage(web, third));
	EXPECT_EQ(staged_of(maps, web), std::optional<uint32_t>(3));
	EXPECT_FALSE(maps.activate(web, 5)) << "replaced";
	ASSERT_TRUE(maps.activate(web, 3));
	auto now = maps.vip(web);
	ASSERT_TRUE(now && *now);
	EXPECT_EQ((*now)->map, third);
}

// A VIP staged and never active is no VIP yet; activating it adds it.
TEST(MuxMaps, AVipOnlyStagedIsAddedByActivate)
{
	auto mux = MuxProgram::load();
	ASSERT_TRUE(mux) << mux.error().message;
	auto &maps = mux->maps();
	const auto a = v4("10.1.0.1"), b = v4("10.1.0.2");
	ASSERT_TRUE(maps.install(dns, version_of(1, {a})));
	const auto before = seen(maps);

	ASSERT_TRUE(maps.stage(web, version_of(7, {a}, 32)));
	EXPECT_EQ(seen(maps), before) << "a staged VIP is listed";
	EXPECT_FALSE(*maps.vip(web));
	EXPECT_EQ(staged_of(maps, web), std::optional<uint32_t>(7));
	// Restaged: any generation (nothing is active), the same bucket count.
	const auto staged = version_of(4, {a, b}, 32);
	ASSERT_TRUE(maps.stage(web, staged));
	EXPECT_FALSE(maps.stage(web, version_of(8, {a}, 64)));
	EXPECT_EQ(staged_of(maps, web), std::optional<uint32_t>(4));
	auto refused = maps.activate(web, 7);
	ASSERT_FALSE(refused);
	EXPECT_NE(refused.error().message.find("active none, staged 4"), std::string::npos)
		<< refused.error().message;
	EXPECT_EQ(seen(maps), before);

	ASSERT_TRUE(maps.activate(web, 4));
	auto now = maps.vip(web);
	ASSERT_TRUE(now && *now);
	EXPECT_EQ((*now)->map, staged);
	EXPECT_EQ(staged_of(maps, web), std::nullopt);
	EXPECT_EQ(maps.vips()->size(), 2u);
	ASSERT_TRUE(maps.activate(web, 4)) << "twice: a no-op";

	// Removing a VIP only staged drops what was staged.
	const VipKey other{v4("192.0.2.11"), IPPROTO_TCP, 443};
	ASSERT_TRUE(maps.stage(other, version_of(1, {b})));
	ASSERT_TRUE(maps.remove(other));
	EXPECT_EQ(staged_of(maps, other), std::nullopt);
	EXPECT_FALSE(maps.activate(other, 1));
	EXPECT_FALSE(maps.remove(other));
}

// A staged version's DIP entries and buckets are in use: a VIP installed
// meanwhile gets others, and both read back as given once activated.
TEST(MuxMaps, AStagedVersionKeepsItsDipEntriesAndBuckets)
{
	auto mux = MuxProgram::load();
	ASSERT_TRUE(mux) << mux.error().message;
	auto &maps = mux->maps();
	const auto a = v4("10.1.0.1"), b = v4("10.1.0.2"), c = v4("10.1.0.3"), d = v4("10.1.0.4"),
		   e = v4("10.1.0.5"), f = v4("10.1.0.6");
	const VipKey other{v4("192.0.2.11"), IPPROTO_TCP, 443};
	ASSERT_TRUE(maps.install(web, version_of(1, {a, b}, 64)));
	const auto web_next = version_of(2, {c, d}, 64);
	ASSERT_TRUE(maps.stage(web, web_next));
	const auto other_first = version_of(1, {d, e}, 32);
	ASSERT_TRUE(maps.stage(other, other_first));
	// e and f are new: had the staged maps' entries been free, they would
	// have taken c's and d's.
	const auto dns_map = version_of(1, {e, f, a}, 64);
	ASSERT_TRUE(maps.install(dns, dns_map));
	ASSERT_TRUE(maps.activate(web, 2));
	ASSERT_TRUE(maps.activate(other, 1));
	auto vips = maps.vips();
	ASSERT_TRUE(vips) << vips.error().message;
	ASSERT_EQ(vips->size(), 3u);
	std::set<uint32_t> ids;
	for (const auto &v : *vips) {
		ids.insert(v.id);
		if (v.key == web)
			EXPECT_EQ(v.map, web_next);
		else if (v.key == dns)
			EXPECT_EQ(v.map, dns_map);
		else
			EXPECT_EQ(v.map, other_first);
	}
	EXPECT_EQ(ids.size(), 3u) << "two VIPs share an id";
	// Once web flipped, b's entry is free again: a new DIP may take it,
	// web keeps reading c and d.
	ASSERT_TRUE(maps.install(dns, version_of(2, {f, v4("10.1.0.7")}, 64)));
	EXPECT_EQ(maps.vip(dns)->value().map, version_of(2, {f, v4("10.1.0.7")}, 64));
	EXPECT_EQ(maps.vip(web)->value().map, web_next);
}

// The staged version may change the DIPs' family: the record takes it on
// when it flips, in the same update.
TEST(MuxMaps, AStagedVersionMayChangeTheDipFamily)
{
	auto mux = MuxProgram::load();
	ASSERT_TRUE(mux) << mux.error().message;
	auto &maps = mux->maps();
	const auto first = version_of(1, {v4("10.1.0.1")});
	ASSERT_TRUE(maps.install(web, first));
	const auto second = version_of(2, {v4("2001:db8:1::1"), v4("2001:db8:1::2")});
	ASSERT_TRUE(maps.stage(web, second));
	EXPECT_EQ(maps.vip(web)->value().map, first);
	ASSERT_TRUE(maps.activate(web, 2));
	EXPECT_EQ(maps.vip(web)->value().map, second);
}

TEST(MuxMaps, ARefusedStageChangesNothing)
{
	auto mux = MuxProgram::load();
	ASSERT_TRUE(mux) << mux.error().message;
	auto &maps = mux->maps();
	const auto a = v4("10.1.0.1"), b = v4("10.1.0.2");
	ASSERT_TRUE(maps.install(web, version_of(5, {a, b})));
	ASSERT_TRUE(maps.stage(web, version_of(7, {b})));
	const auto before = seen(maps);
	ASSERT_EQ(before.size(), 1u);
	EXPECT_EQ(before[0].staged, std::optional<uint32_t>(7));

	auto mixed = version_of(6, {a, b});
	mixed.buckets[3].dip = v4("2001:db8::1");
	auto twice = version_of(6, {a, b});
	twice.pool.push_back(twice.pool.front());
	const std::pair<LbMapVersion, const char *> cases[] = {
		{version_of(5, {a}), "not newer than the installed 5"},
		{version_of(4, {a}), "not newer"},
		{version_of(6, {a}, 32), "keeps its bucket count"},
		{version_of(6, {a}, 8), "16 to 65536"},
		{mixed, "another family"},
		{twice, "listed twice"},
	};
	for (const auto &[version, message] : cases) {
		auto s = maps.stage(web, version);
		ASSERT_FALSE(s) << message;
		EXPECT_NE(s.error().message.find(message), std::string::npos) << s.error().message;
		EXPECT_EQ(seen(maps), before) << message;
		EXPECT_EQ(staged_of(maps, web), std::optional<uint32_t>(7)) << message;
	}
	ASSERT_TRUE(maps.activate(web, 7)) << "the staged version survived the refusals";
	EXPECT_EQ(maps.vip(web)->value().map, version_of(7, {b}));
}

// generations() lists what the agent needs of every VIP, staged-only ones
// included, and agrees with vip() and staged_generation().
TEST(MuxMaps, GenerationsListEveryVipStagedOnlyOnesIncluded)
{
	auto mux = MuxProgram::load();
	ASSERT_TRUE(mux) << mux.error().message;
	auto &maps = mux->maps();
	const auto a = v4("10.1.0.1"), b = v4("10.1.0.2");
	const VipKey other{v4("2001:db8::11"), IPPROTO_TCP, 443};
	using Generations = std::map<VipKey, VipGenerations>;
	auto generations = [&] {
		auto g = maps.generations();
		EXPECT_TRUE(g) << g.error().message;
		return g ? *g : Generations{};
	};
	EXPECT_EQ(generations(), Generations{});

	// Active only.
	ASSERT_TRUE(maps.install(web, version_of(3, {a, b})));
	EXPECT_EQ(generations(), (Generations{{web, {3, std::nullopt}}}));
	// Staged over active.
	ASSERT_TRUE(maps.stage(web, version_of(4, {b})));
	EXPECT_EQ(generations(), (Generations{{web, {3, 4}}}));
	// Staged only: not in vips(), in generations() with active 0.
	ASSERT_TRUE(maps.stage(other, version_of(9, {v4("2001:db8:1::1")}, 32)));
	EXPECT_EQ(maps.vips()->size(), 1u);
	EXPECT_EQ(generations(), (Generations{{web, {3, 4}}, {other, {0, 9}}}));
	// Restaged: the newer staged generation replaces the other.
	ASSERT_TRUE(maps.stage(web, version_of(5, {a})));
	EXPECT_EQ(generations(), (Generations{{web, {3, 5}}, {other, {0, 9}}}));
	// After activate: the staged one is active, nothing staged.
	ASSERT_TRUE(maps.activate(web, 5));
	ASSERT_TRUE(maps.activate(other, 9));
	EXPECT_EQ(generations(),
		  (Generations{{web, {5, std::nullopt}}, {other, {9, std::nullopt}}}));
	for (const auto &[key, g] : generations()) {
		EXPECT_EQ(maps.vip(key)->value().map.generation, g.active) << to_string(key);
		EXPECT_EQ(staged_of(maps, key), g.staged) << to_string(key);
	}
	// After remove: gone, active or staged only.
	ASSERT_TRUE(maps.stage(dns, version_of(1, {a})));
	ASSERT_TRUE(maps.remove(web));
	EXPECT_EQ(generations(), (Generations{{dns, {0, 1}}, {other, {9, std::nullopt}}}));
	ASSERT_TRUE(maps.remove(dns));
	ASSERT_TRUE(maps.remove(other));
	EXPECT_EQ(generations(), Generations{});
}

TEST(MuxMaps, ConfigReadsBackAsWritten)
{
	auto mux = MuxProgram::load();
	ASSERT_TRUE(mux) << mux.error().message;
	MuxConfig config;
	config.source = Ipv4{0x0a000001};
	config.source6 = std::get<Ipv6>(*parse_ip_address("2001:db8::1"));
	config.fib = true;
	config.mtu = 9000;
	ASSERT_TRUE(mux->maps().set_config(config));
	auto read = mux->maps().config();
	ASSERT_TRUE(read);
	EXPECT_EQ(*read, config);
	EXPECT_EQ(*mux->maps().layout_version(), uint32_t{IPLB_LB_LAYOUT_VERSION});
}

TEST(BackendMaps, VipsAreAddedOnceAndRemovedOnce)
{
	auto backend = BackendProgram::load();
	ASSERT_TRUE(backend) << backend.error().message;
	auto &maps = backend->maps();
	ASSERT_TRUE(maps.add_vip(web));
	ASSERT_TRUE(maps.add_vip(dns));
	EXPECT_FALSE(maps.add_vip(web)) << "twice";
	auto vips = maps.vips();
	ASSERT_TRUE(vips);
	ASSERT_EQ(vips->size(), 2u);
	EXPECT_EQ((*vips)[0].first, web);
	EXPECT_EQ((*vips)[0].second, 0u) << "no generation seen yet";
	ASSERT_TRUE(maps.remove_vip(web));
	EXPECT_FALSE(maps.remove_vip(web));
	EXPECT_EQ(maps.vips()->size(), 1u);
	EXPECT_EQ(maps.config()->daisy_timeout, 240u);
	ASSERT_TRUE(maps.set_config({60}));
	EXPECT_EQ(maps.config()->daisy_timeout, 60u);
}

} // namespace
} // namespace iplb
