// SPDX-License-Identifier: GPL-2.0-or-later
// Real ospfd sessions, recorded with tools/ospfapi-record in the lab
// (tests/fixtures/ospfapi/README.md), replayed through the protocol
// decoder, the LSDB mirror and the topology builder.
#include "lsdb/api_protocol.hpp"
#include "lsdb/lsa.hpp"
#include "lsdb/topology_builder.hpp"
#include "topology/topology_delta.hpp"

#include "ospfapi_fixtures.hpp"

#include <gtest/gtest.h>

namespace iplb {
namespace {

std::vector<uint8_t> read_fixture(const char *name)
{
	auto bytes = test::read_fixture(name);
	EXPECT_FALSE(bytes.empty()) << name;
	return bytes;
}

struct Replay {
	LsaDatabase db;
	size_t updates = 0, deletes = 0, refreshes = 0;

	void feed(const std::vector<uint8_t> &bytes)
	{
		ospfapi::FrameReader reader;
		reader.append(bytes);
		for (;;) {
			auto message = reader.next();
			ASSERT_TRUE(message) << message.error().message;
			if (!*message)
				break;
			const auto type = static_cast<ospfapi::MsgType>((*message)->type);
			if (type != ospfapi::MsgType::lsa_update_notify &&
			    type != ospfapi::MsgType::lsa_delete_notify)
				continue;
			auto n = ospfapi::decode_lsa_notification((*message)->body);
			ASSERT_TRUE(n) << n.error().message;
			ASSERT_TRUE(lsa::parse(n->lsa)) << "a real LSA must parse";
			if (type == ospfapi::MsgType::lsa_update_notify) {
				updates++;
				refreshes += db.apply_update(*n) == LsaDatabase::Change::refreshed;
			} else {
				deletes++;
				db.apply_delete(*n);
			}
		}
		EXPECT_EQ(reader.buffered(), 0u) << "the recording ends on a frame boundary";
	}

	LsdbTopology topology() const { return *build_topology(db, {}); }
};

std::optional<uint32_t> cost(const Topology &t, const char *from, const char *to)
{
	return t.link_cost(*t.find(*parse_ipv4(from)), *t.find(*parse_ipv4(to)));
}

// The lab (tools/iplb-lab) seen from h1: h1 - s1 - {s2, s3} - s4 - h2.
TEST(LsdbReplay, LabDumpGivesTheLabGraph)
{
	Replay r;
	r.feed(read_fixture("lab-dump.bin"));
	auto topo = r.topology();
	EXPECT_EQ(topo.stats.routers, 6u);
	EXPECT_EQ(topo.stats.links, 12u);
	EXPECT_EQ(topo.stats.one_way, 0u);
	EXPECT_EQ(cost(*topo.topology, "10.255.1.1", "10.255.0.1"), 10u);
	EXPECT_EQ(cost(*topo.topology, "10.255.0.4", "10.255.1.2"), 10u);
	EXPECT_EQ(topo.topology->routes_to(*parse_prefix("10.10.2.1/32")).size(), 1u);
}

TEST(LsdbReplay, CostChangeLinkDownAndRouterGone)
{
	Replay r;
	r.feed(read_fixture("lab-dump.bin"));
	r.feed(read_fixture("lab-cost-change.bin"));
	auto topo = r.topology();
	EXPECT_EQ(cost(*topo.topology, "10.255.0.1", "10.255.0.2"), 30u) << "s1 -> s2 now costs 30";
	EXPECT_EQ(cost(*topo.topology, "10.255.0.2", "10.255.0.1"), 10u) << "the other way did not";

	r.feed(read_fixture("lab-link-down.bin"));
	topo = r.topology();
	EXPECT_FALSE(cost(*topo.topology, "10.255.0.2", "10.255.0.4"));
	EXPECT_FALSE(cost(*topo.topology, "10.255.0.4", "10.255.0.2"));
	EXPECT_EQ(topo.stats.links, 10u);

	// s3's ospfd is killed (no flush). s1 drops it and re-originates; s4,
	// now cut off from h1 (its link to s2 is down), cannot tell h1, so its
	// stale LSA still lists s3 until it ages out. The two-way check keeps
	// the stale pair s3 <-> s4, which h1 cannot reach anyway.
	r.feed(read_fixture("lab-router-gone.bin"));
	topo = r.topology();
	EXPECT_EQ(topo.stats.routers, 6u);
	EXPECT_FALSE(cost(*topo.topology, "10.255.0.3", "10.255.0.1")) << "one-way now";
	EXPECT_FALSE(cost(*topo.topology, "10.255.0.1", "10.255.0.3"));
	EXPECT_EQ(topo.stats.one_way, 1u);
	EXPECT_EQ(topo.stats.links, 8u);
	EXPECT_TRUE(cost(*topo.topology, "10.255.0.3", "10.255.0.4"));
}

// What the path engine is told at each step of the recordings.
TEST(LsdbReplay, EachRecordingGivesTheDeltaOfWhatHappened)
{
	Replay r;
	r.feed(read_fixture("lab-dump.bin"));
	auto previous = r.topology().topology;

	r.feed(read_fixture("lab-cost-change.bin"));
	auto now = r.topology().topology;
	auto delta = diff(*previous, *now);
	ASSERT_EQ(delta.links.size(), 1u) << "one direction of one link";
	EXPECT_EQ(to_string(delta.links[0].from.id), "10.255.0.1");
	EXPECT_EQ(to_string(delta.links[0].to.id), "10.255.0.2");
	EXPECT_EQ(delta.links[0].before, 10u);
	EXPECT_EQ(delta.links[0].after, 30u);
	EXPECT_TRUE(delta.nodes_added.empty() && delta.nodes_removed.empty());
	// The link's own subnet, a stub of the same interface, costs 30 too.
	ASSERT_EQ(delta.prefixes.size(), 1u);
	EXPECT_EQ(to_string(delta.prefixes[0].router), "10.255.0.1");
	EXPECT_EQ(delta.prefixes[0].after->cost, 30u);

	previous = now;
	r.feed(read_fixture("lab-link-down.bin"));
	now = r.topology().topology;
	delta = diff(*previous, *now);
	auto summary = summarize(delta);
	EXPECT_EQ(summary.links_removed, 2u) << "s2 <-> s4, both ways";
	EXPECT_EQ(summary.links_added + summary.links_changed, 0u);
	EXPECT_EQ(summary.nodes_removed, 0u);

	previous = now;
	r.feed(read_fixture("lab-router-gone.bin"));
	now = r.topology().topology;
	summary = summarize(diff(*previous, *now));
	EXPECT_EQ(summary.links_removed, 2u) << "s1 <-> s3";
	EXPECT_EQ(to_string(summary), "+0 -0 nodes, +0 -2 ~0 links, +0 -0 ~0 prefixes");

	EXPECT_TRUE(diff(*now, *now).empty());
}

// Frames as they are, except that withdrawals become announcements: from a
// refresh recording, the LSDB as it was before (ospfd withdraws the whole old
// instance).
std::vector<uint8_t> withdrawals_as_announcements(const std::vector<uint8_t> &bytes)
{
	std::vector<uint8_t> out;
	for (size_t at = 0; at + ospfapi::header_size <= bytes.size();) {
		const size_t length = ospfapi::header_size + (bytes[at + 2] << 8 | bytes[at + 3]);
		if (bytes[at + 1] == static_cast<uint8_t>(ospfapi::MsgType::lsa_delete_notify)) {
			out.insert(out.end(), bytes.begin() + at, bytes.begin() + at + length);
			out[out.size() - length + 1] =
				static_cast<uint8_t>(ospfapi::MsgType::lsa_update_notify);
		}
		at += length;
	}
	return out;
}

// A real refresh (lab-refresh.bin): 30 minutes after the lab came up every
// router re-originates its LSA, reported as withdrawal + announcement, with
// the next sequence number and a new checksum, and nothing else changed.
TEST(LsdbReplay, ARealRefreshChangesNothing)
{
	const auto recording = read_fixture("lab-refresh.bin");
	Replay r;
	r.feed(withdrawals_as_announcements(recording));
	ASSERT_EQ(r.db.size(), 6u);
	const uint64_t before = r.db.content_hash();
	const auto graph = r.topology();
	EXPECT_EQ(graph.stats.links, 12u);

	r.feed(recording);
	EXPECT_EQ(r.deletes, 6u);
	EXPECT_EQ(r.db.size(), 6u);
	EXPECT_EQ(r.db.content_hash(), before) << "so the daemon skips the rebuild";
	EXPECT_TRUE(diff(*graph.topology, *r.topology().topology).empty());

	// And the mirror is what ospfd dumps afterwards, sequence numbers included.
	Replay dump;
	dump.feed(read_fixture("lab-dump-after-refresh.bin"));
	EXPECT_EQ(dump.db.content_hash(), r.db.content_hash());
	ASSERT_EQ(dump.db.size(), r.db.size());
	for (auto a = dump.db.entries().begin(), b = r.db.entries().begin();
	     a != dump.db.entries().end(); ++a, ++b) {
		EXPECT_EQ(a->first.adv_router, b->first.adv_router);
		EXPECT_EQ(a->second.header.seq, b->second.header.seq);
	}
}

} // namespace
} // namespace iplb
