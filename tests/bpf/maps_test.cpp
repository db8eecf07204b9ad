// SPDX-License-Identifier: GPL-2.0-or-later
// The user-space side of the eBPF datapath (iplbd/datapath) on real maps:
// route records and relay sources read back as written, the table sync keeps
// counter slots, the pipeline fills the table to its capacity and reports the
// rest, maps pinned outlive their program and are re-adopted (or refused, of
// another layout: host and relay), instance names are file names. Needs root
// (CAP_BPF, a bpffs of its own).
#include "datapath/bpf_programs.hpp"
#include "datapath/bpf_route_table.hpp"
#include "datapath/route_record.hpp"
#include "pipeline/host_pipeline.hpp"
#include "topology/topology.hpp"

#include <bpf/bpf.h>

#include "fixtures.hpp"
#include "packet_tester.hpp"
#include "packets.hpp"

#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "iplb_host_layout.h"
#include "iplb_relay_layout.h"

namespace iplb {
namespace {

using namespace test;

TEST(HostMaps, RoutesReadBackAsWritten)
{
	auto program = HostProgram::load();
	ASSERT_TRUE(program) << program.error().message;
	const RouteSpec spec = route_of({{r1, r2}, {r3}});
	auto record = encode_route(spec, 9);
	ASSERT_TRUE(record) << record.error().message;
	ASSERT_TRUE(program->maps().put_route(spec.prefix, *record));
	auto stored = program->maps().route(destination);
	ASSERT_TRUE(stored && *stored);
	auto decoded = decode_route(destination, **stored);
	ASSERT_TRUE(decoded) << decoded.error().message;
	EXPECT_EQ(*decoded, spec);
	ASSERT_TRUE(program->maps().delete_route(destination));
	EXPECT_FALSE(*program->maps().route(destination));
	EXPECT_FALSE(program->maps().delete_route(destination)) << "nothing left to delete";
}

TEST(RelayMaps, SourcesReadBackAsWrittenEachFamilyBounded)
{
	auto program = RelayProgram::load();
	ASSERT_TRUE(program) << program.error().message;
	RelayMaps &maps = program->maps();
	EXPECT_EQ(*maps.layout_version(), uint32_t{IPLB_RELAY_LAYOUT_VERSION});
	ASSERT_TRUE(maps.sources());
	EXPECT_TRUE(maps.sources()->empty()) << "nothing allowed until told";

	const std::vector<IpPrefix> wanted{
		*parse_prefix("10.255.1.0/24"), *parse_prefix("10.255.2.7/32"),
		*parse_ipv6_prefix("fc00:ee::1/128"), *parse_ipv6_prefix("fc00:ff::/64")};
	for (auto it = wanted.rbegin(); it != wanted.rend(); ++it)
		ASSERT_TRUE(maps.add_source(*it));
	ASSERT_TRUE(maps.add_source(wanted[0])) << "adding again changes nothing";
	EXPECT_EQ(*maps.sources(), wanted) << "IPv4 first, each family in order";

	ASSERT_TRUE(maps.remove_source(wanted[1]));
	auto again = maps.remove_source(wanted[1]);
	ASSERT_FALSE(again);
	EXPECT_EQ(again.error().message, "10.255.2.7/32 is not an allowed tunnel source here");
	EXPECT_EQ(*maps.sources(), (std::vector<IpPrefix>{wanted[0], wanted[2], wanted[3]}));

	// Up to IPLB_MAX_SOURCES of a family (one is there already), then a
	// clear refusal; the other family is bounded apart.
	for (uint32_t i = 1; i < IPLB_MAX_SOURCES; i++)
		ASSERT_TRUE(maps.add_source(Ipv4Prefix{Ipv4{addr("10.100.0.0") + (i << 8)}, 24}))
			<< i;
	auto full = maps.add_source(*parse_prefix("10.99.0.0/16"));
	ASSERT_FALSE(full);
	EXPECT_EQ(full.error().message, "cannot allow tunnel source 10.99.0.0/16: a relay takes "
					"at most 256 IPv4 source prefixes");
	EXPECT_TRUE(maps.add_source(*parse_ipv6_prefix("fc00:dd::/48")));
	EXPECT_EQ(maps.sources()->size(), IPLB_MAX_SOURCES + 3);
}

// sync_table() on the real maps: a prefix that stays keeps its counter slot
// (and its counts) even when its lists change; a new prefix gets a zeroed
// slot, possibly one a removed prefix left.
TEST(BpfTableSync, PrefixesThatStayKeepTheirSlotsAndCounts)
{
	auto program = HostProgram::load();
	ASSERT_TRUE(program) << program.error().message;
	ASSERT_TRUE(program->maps().set_config({.source = Ipv4{source}, .source6 = std::nullopt}));
	BpfRouteTable table(program->maps());
	const auto spec_of = [](const char *prefix, std::vector<uint32_t> relays) {
		RouteSpec spec;
		spec.prefix = *parse_ip_prefix(prefix);
		for (uint32_t r : relays)
			spec.lists.push_back(RelayList{{Ipv4{r}}});
		return spec;
	};
	const auto first_relay_of = [&](uint32_t dst) -> uint32_t {
		auto out = test_run(program->prog_fd(), ethernet(udp_packet(udp_spec(dst))));
		return out ? ipip_destination(out->frame) : 0u;
	};

	auto result = sync_table(table, std::vector<RouteSpec>{spec_of("10.4.1.0/24", {r1}),
							       spec_of("10.4.2.0/24", {r2})});
	ASSERT_TRUE(result) << result.error().message;
	EXPECT_EQ(result->put, 2u);
	const auto [slot_a, in_a] = *table.slot_for(*parse_ip_prefix("10.4.1.0/24"));
	const bool in_b = table.slot_for(*parse_ip_prefix("10.4.2.0/24"))->second;
	ASSERT_TRUE(in_a && in_b);
	EXPECT_EQ(first_relay_of(addr("10.4.1.7")), r1);
	EXPECT_EQ(first_relay_of(addr("10.4.2.7")), r2);

	// 10.4.1.0/24 changes lists, 10.4.2.0/24 goes, 10.4.3.0/24 comes.
	result = sync_table(table, std::vector<RouteSpec>{spec_of("10.4.1.0/24", {r3}),
							  spec_of("10.4.3.0/24", {r3})});
	ASSERT_TRUE(result) << result.error().message;
	EXPECT_EQ(result->put, 2u);
	EXPECT_EQ(result->removed, 1u);
	EXPECT_TRUE(result->errors.empty());
	EXPECT_EQ(table.slot_for(*parse_ip_prefix("10.4.1.0/24"))->first, slot_a);
	EXPECT_EQ(program->maps().route_counters(slot_a)->packets, 1u) << "its count went on";
	const auto [slot_c, in_c] = *table.slot_for(*parse_ip_prefix("10.4.3.0/24"));
	ASSERT_TRUE(in_c);
	EXPECT_EQ(program->maps().route_counters(slot_c)->packets, 0u)
		<< "a new prefix starts at 0";
	EXPECT_EQ(first_relay_of(addr("10.4.1.7")), r3);
	EXPECT_EQ(first_relay_of(addr("10.4.2.7")), 0u) << "no longer in the table";
	EXPECT_EQ(first_relay_of(addr("10.4.3.7")), r3);
}

// A prefix inside another has a counter slot of its own (an LPM lookup of
// 10.4.1.7/32 finds 10.4.1.0/24), and a removed prefix's slot goes to a new
// prefix only when nobody holds it.
TEST(BpfTableSync, APrefixInsideAnotherHasACounterSlotOfItsOwn)
{
	auto program = HostProgram::load();
	ASSERT_TRUE(program) << program.error().message;
	BpfRouteTable table(program->maps());
	const auto spec_of = [](const char *prefix, uint32_t relay) {
		RouteSpec spec;
		spec.prefix = *parse_ip_prefix(prefix);
		spec.lists = {RelayList{{Ipv4{relay}}}};
		return spec;
	};
	const auto ids = [&] {
		std::map<std::string, uint32_t> out;
		const auto records = program->maps().routes();
		for (const auto &[prefix, record] : *records)
			out[to_string(prefix)] = record.id;
		return out;
	};
	ASSERT_TRUE(sync_table(table, std::vector<RouteSpec>{spec_of("10.4.1.0/24", r1)}));
	EXPECT_FALSE(table.slot_for(*parse_ip_prefix("10.4.1.7/32"))->second)
		<< "not in the table: only a covering prefix is";
	auto result = sync_table(table, std::vector<RouteSpec>{spec_of("10.4.1.0/24", r1),
							       spec_of("10.4.1.7/32", r2)});
	ASSERT_TRUE(result && result->errors.empty());
	auto before = ids();
	EXPECT_NE(before["10.4.1.0/24"], before["10.4.1.7/32"]);

	// The /24 goes, another prefix comes: it must not take the /32's slot.
	result = sync_table(table, std::vector<RouteSpec>{spec_of("10.4.1.7/32", r2),
							  spec_of("10.9.0.0/16", r3)});
	ASSERT_TRUE(result && result->errors.empty());
	auto after = ids();
	EXPECT_EQ(after["10.4.1.7/32"], before["10.4.1.7/32"]);
	EXPECT_NE(after["10.9.0.0/16"], after["10.4.1.7/32"]);
}

// The real table filled to its capacity through the pipeline: static routes
// and computed destinations beyond IPLB_MAX_ROUTES. Exactly the capacity is
// installed, static routes first, each prefix in a counter slot of its own;
// the rest is reported as not installed, table full, and a recompute writes
// nothing. A record of the full table can still be replaced, and once static
// routes go, the destinations that waited are written in their slots.
TEST(BpfTableSync, TheTableFillsToItsCapacityAndTheRestIsReported)
{
	auto program = HostProgram::load();
	ASSERT_TRUE(program) << program.error().message;
	BpfRouteTable table(program->maps());

	// Our host 10.0.0.1; its neighbour announces 20 /32s.
	TopologyBuilder builder;
	const Ipv4 host{addr("10.0.0.1")}, neighbour{addr("10.0.0.2")};
	ASSERT_TRUE(builder.add_router(host));
	ASSERT_TRUE(builder.add_router(neighbour));
	ASSERT_TRUE(builder.add_link(host, neighbour, 10));
	ASSERT_TRUE(builder.add_link(neighbour, host, 10));
	for (uint32_t i = 1; i <= 20; i++)
		ASSERT_TRUE(builder.add_prefix(neighbour,
					       Ipv4Prefix{Ipv4{addr("10.9.0.0") + i}, 32}, 0));
	auto topology = builder.build();
	ASSERT_TRUE(topology) << topology.error().message;

	PipelineConfig config;
	config.capacity = IPLB_MAX_ROUTES;
	const size_t statics = IPLB_MAX_ROUTES - 10;
	for (uint32_t i = 0; i < statics; i++) {
		RouteSpec route;
		route.prefix = Ipv4Prefix{Ipv4{addr("172.16.0.0") + (i << 8)}, 24};
		route.lists = {RelayList{{Ipv4{r1}}}};
		config.static_routes.push_back(route);
	}
	HostPipeline pipeline;
	pipeline.set_source(host);
	pipeline.set_table(&table);
	ASSERT_TRUE(pipeline.set_config(config));
	const auto start = std::chrono::steady_clock::now();
	pipeline.run(*topology);
	const auto took = std::chrono::steady_clock::now() - start;
	EXPECT_EQ(pipeline.counters().sync_errors, 0u) << pipeline.counters().last_error;
	EXPECT_EQ(pipeline.fill(), (TableFill{.capacity = IPLB_MAX_ROUTES,
					      .destinations = statics + 20,
					      .installed = IPLB_MAX_ROUTES,
					      .table_full = 10,
					      .write_failed = 0}));
	ASSERT_EQ(pipeline.not_installed().size(), 10u);
	EXPECT_EQ(to_string(pipeline.not_installed().front().prefix), "10.9.0.11/32");
	EXPECT_EQ(to_string(pipeline.not_installed().front()), "table full");

	const auto slots_are_distinct = [&](size_t expected) {
		auto records = program->maps().routes();
		ASSERT_TRUE(records) << records.error().message;
		EXPECT_EQ(records->size(), expected);
		std::set<uint32_t> ids;
		for (const auto &[prefix, record] : *records) {
			EXPECT_LT(record.id, uint32_t{IPLB_MAX_ROUTES}) << to_string(prefix);
			ids.insert(record.id);
		}
		EXPECT_EQ(ids.size(), records->size()) << "a counter slot each";
	};
	slots_are_distinct(IPLB_MAX_ROUTES);
	EXPECT_TRUE(*program->maps().route(Ipv4Prefix{Ipv4{addr("10.9.0.10")}, 32}));
	EXPECT_FALSE(*program->maps().route(Ipv4Prefix{Ipv4{addr("10.9.0.11")}, 32}));
	std::printf("[ info ] %u routes written through the pipeline in %lld ms\n",
		    unsigned{IPLB_MAX_ROUTES},
		    static_cast<long long>(
			    std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));

	// Recomputed: the same table, nothing written.
	const uint64_t written = pipeline.counters().routes_written;
	pipeline.rerun();
	EXPECT_EQ(pipeline.counters().routes_written, written);

	// The full table takes a changed record (the trie replaces in place).
	config.static_routes.front().lists = {RelayList{{Ipv4{r2}}}};
	ASSERT_TRUE(pipeline.set_config(config));
	pipeline.rerun();
	EXPECT_EQ(pipeline.counters().routes_written, written + 1);
	EXPECT_EQ(pipeline.counters().sync_errors, 0u) << pipeline.counters().last_error;

	// 25 static routes go: the 10 that waited take their slots.
	config.static_routes.resize(statics - 25);
	ASSERT_TRUE(pipeline.set_config(config));
	pipeline.rerun();
	EXPECT_EQ(pipeline.counters().sync_errors, 0u) << pipeline.counters().last_error;
	EXPECT_TRUE(pipeline.not_installed().empty());
	EXPECT_EQ(pipeline.fill().installed, statics - 25 + 20);
	EXPECT_FALSE(pipeline.fill().full());
	slots_are_distinct(statics - 25 + 20);
	EXPECT_TRUE(*program->maps().route(Ipv4Prefix{Ipv4{addr("10.9.0.20")}, 32}));
}

// A bpffs of the test's own, removed with everything pinned in it.
class PinnedDatapath : public ::testing::Test {
protected:
	void TearDown() override
	{
		for (const std::string &dir : {root_ + "/a", root_}) {
			if (DIR *d = ::opendir(dir.c_str())) {
				while (const dirent *e = ::readdir(d))
					if (e->d_name[0] != '.')
						::unlink((dir + "/" + e->d_name).c_str());
				::closedir(d);
			}
			if (dir == root_)
				::umount2(root_.c_str(), MNT_DETACH);
			::rmdir(dir.c_str());
		}
	}

	const std::string root_ = "/run/iplb-test-" + std::to_string(::getpid());
};

TEST_F(PinnedDatapath, TheTableOutlivesTheProgramAndIsReadopted)
{
	auto dir = prepare_pin_dir(root_, "a");
	ASSERT_TRUE(dir) << dir.error().message;
	const RouteSpec spec = route_of({{r1, r2}});
	{
		auto program = HostProgram::open(*dir);
		ASSERT_TRUE(program) << program.error().message;
		ASSERT_TRUE(program->maps().set_config(
			{.source = Ipv4{source}, .source6 = std::nullopt, .fib_redirect = true}));
		ASSERT_TRUE(program->maps().put_route(destination, *encode_route(spec, 5)));
	}
	// Nothing runs it now; the maps are still there, for iplbctl...
	auto maps = HostMaps::from_pins(*dir);
	ASSERT_TRUE(maps) << maps.error().message;
	auto routes = maps->routes();
	ASSERT_TRUE(routes);
	ASSERT_EQ(routes->size(), 1u);
	EXPECT_EQ(*decode_route(destination, routes->front().second), spec);
	EXPECT_TRUE(maps->config()->fib_redirect);

	// ...and for the next program: same table, same config, and it works.
	auto again = HostProgram::open(*dir);
	ASSERT_TRUE(again) << again.error().message;
	EXPECT_EQ(again->maps().config()->source, Ipv4{source});
	EXPECT_TRUE(*again->maps().route(destination));
	ASSERT_TRUE(again->maps().set_config({.source = Ipv4{source}, .source6 = std::nullopt}));
	const Bytes frame = ethernet(udp_packet(udp_spec()));
	auto out = test_run(again->prog_fd(), frame);
	ASSERT_TRUE(out);
	EXPECT_EQ(out->frame.size(), frame.size() + 40);
	EXPECT_EQ(maps->route_counters(5)->packets, 1u) << "one table, seen from both";
}

TEST_F(PinnedDatapath, AnotherLayoutIsRefusedNotReused)
{
	auto dir = prepare_pin_dir(root_, "a");
	ASSERT_TRUE(dir);
	{
		auto program = HostProgram::open(*dir);
		ASSERT_TRUE(program);
		iplb_config old{};
		old.layout_version = IPLB_HOST_LAYOUT_VERSION + 1;
		const uint32_t zero = 0;
		auto fd = UniqueFd(bpf_obj_get((*dir / "iplb_config").c_str()));
		ASSERT_EQ(bpf_map_update_elem(fd.get(), &zero, &old, BPF_ANY), 0);
	}
	auto maps = HostMaps::from_pins(*dir);
	ASSERT_FALSE(maps);
	const std::string expected = "has table layout " +
				     std::to_string(IPLB_HOST_LAYOUT_VERSION + 1) +
				     ", this build " + std::to_string(IPLB_HOST_LAYOUT_VERSION);
	EXPECT_NE(maps.error().message.find(expected), std::string::npos) << maps.error().message;
	auto program = HostProgram::open(*dir);
	ASSERT_FALSE(program);
	EXPECT_NE(program.error().message.find(expected), std::string::npos)
		<< program.error().message;
}

TEST_F(PinnedDatapath, TheRelaysAddressesAndSourcesOutliveItsProgram)
{
	auto dir = prepare_pin_dir(root_, "a");
	ASSERT_TRUE(dir) << dir.error().message;
	auto none = RelayMaps::from_pins(*dir);
	ASSERT_FALSE(none);
	EXPECT_EQ(none.error().message, "no relay in " + dir->path + " (iplbctl attach relay DEV)");
	const IpPrefix hosts = *parse_prefix("10.255.1.0/24");
	{
		auto program = RelayProgram::open(*dir);
		ASSERT_TRUE(program) << program.error().message;
		ASSERT_TRUE(program->maps().add_local(Ipv4{r1}));
		ASSERT_TRUE(program->maps().add_source(hosts));
	}
	auto maps = RelayMaps::from_pins(*dir);
	ASSERT_TRUE(maps) << maps.error().message;
	EXPECT_EQ(*maps->sources(), std::vector<IpPrefix>{hosts});
	EXPECT_EQ(*maps->layout_version(), uint32_t{IPLB_RELAY_LAYOUT_VERSION});

	// The next program re-adopts them, and refuses and counts at once.
	auto again = RelayProgram::open(*dir);
	ASSERT_TRUE(again) << again.error().message;
	const Bytes strangers =
		ethernet(ipip(addr("10.0.1.1"), r1, udp_packet(udp_spec()), udp_spec()));
	auto out = test_run(again->prog_fd(), strangers);
	ASSERT_TRUE(out);
	EXPECT_EQ(out->verdict, tc_act_shot);
	EXPECT_EQ(maps->counters()->refused_source, 1u) << "one set of maps, seen from both";
}

// What a relay of layout 1 left pinned (iplbctl attach relay before allowed
// sources): its maps by hand, as that build made them, without a config.
void pin_relay_of_layout_1(const PinDir &dir)
{
	struct Old {
		const char *name;
		bpf_map_type type;
		uint32_t key, value, entries;
	};
	for (const Old &old : {Old{"iplb_local_v4", BPF_MAP_TYPE_HASH, 4, 1, 64},
			       Old{"iplb_local_v6", BPF_MAP_TYPE_HASH, 16, 1, 64},
			       Old{"iplb_relay_counters", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 40, 1}}) {
		UniqueFd fd(bpf_map_create(old.type, old.name, old.key, old.value, old.entries,
					   nullptr));
		ASSERT_TRUE(fd) << old.name << ": " << std::strerror(errno);
		ASSERT_EQ(bpf_obj_pin(fd.get(), (dir / old.name).c_str()), 0) << old.name;
	}
}

TEST_F(PinnedDatapath, ARelayOfAnotherLayoutIsRefusedNotReused)
{
	auto dir = prepare_pin_dir(root_, "a");
	ASSERT_TRUE(dir);
	ASSERT_NO_FATAL_FAILURE(pin_relay_of_layout_1(*dir));
	const std::string expected = "the relay pinned in " + dir->path +
				     " has relay layout 1, this build " +
				     std::to_string(IPLB_RELAY_LAYOUT_VERSION) +
				     " (iplbctl purge removes it, and its addresses and sources)";
	auto maps = RelayMaps::from_pins(*dir);
	ASSERT_FALSE(maps);
	EXPECT_EQ(maps.error().message, expected);
	auto program = RelayProgram::open(*dir);
	ASSERT_FALSE(program);
	EXPECT_EQ(program.error().message, expected) << "before libbpf's own, obscure error";

	// Purged, the instance takes the new layout; a later one is refused too.
	ASSERT_TRUE(purge(*dir));
	dir = prepare_pin_dir(root_, "a");
	ASSERT_TRUE(dir);
	ASSERT_TRUE(RelayProgram::open(*dir));
	const iplb_relay_config newer{IPLB_RELAY_LAYOUT_VERSION + 1};
	const uint32_t zero = 0;
	UniqueFd config(bpf_obj_get((*dir / "iplb_relay_config").c_str()));
	ASSERT_EQ(bpf_map_update_elem(config.get(), &zero, &newer, BPF_ANY), 0);
	auto later = RelayProgram::open(*dir);
	ASSERT_FALSE(later);
	EXPECT_NE(later.error().message.find(
			  "has relay layout " + std::to_string(IPLB_RELAY_LAYOUT_VERSION + 1) +
			  ", this build " + std::to_string(IPLB_RELAY_LAYOUT_VERSION)),
		  std::string::npos)
		<< later.error().message;
}

TEST(PinDir, InstanceNamesAreFileNames)
{
	EXPECT_FALSE(prepare_pin_dir("/run/iplb-never", "../etc"));
	EXPECT_FALSE(prepare_pin_dir("/run/iplb-never", ""));
	auto missing = existing_pin_dir("/run/iplb-never", "h1");
	ASSERT_FALSE(missing);
	EXPECT_EQ(missing.error().message, "no iplb datapath 'h1' (nothing at /run/iplb-never/h1)");
}

} // namespace
} // namespace iplb
