// SPDX-License-Identifier: GPL-2.0-or-later
// The load balancer's maps from user space (iplbd/datapath/lb_programs): a
// VIP's map version reads back whole as installed, a new version goes into
// the other slot and the VIP flips to it, a refused version changes nothing,
// VIPs never share bucket ranges and DIP entries are reused only when no
// installed map names them. Needs root (CAP_BPF).
#include "datapath/lb_programs.hpp"

#include <gtest/gtest.h>

#include <netinet/in.h>

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
