// SPDX-License-Identifier: GPL-2.0-or-later
// The user-space side of the eBPF datapath (iplbd/datapath) on real maps:
// route records read back as written, the table sync keeps counter slots,
// maps pinned outlive their program and are re-adopted (or refused, of
// another layout), instance names are file names. Needs root (CAP_BPF, a
// bpffs of its own).
#include "datapath/bpf_programs.hpp"
#include "datapath/bpf_route_table.hpp"
#include "datapath/route_record.hpp"

#include <bpf/bpf.h>

#include "fixtures.hpp"
#include "packets.hpp"

#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/mount.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "iplb_host_layout.h"

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
