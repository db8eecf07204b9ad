// SPDX-License-Identifier: GPL-2.0-or-later
// From a topology to the table a host wants, on a k=4 fat-tree (addressing
// in generators/generators.hpp): host 10.1.2.2 under edge 10.1.2.1 of pod 0.
#include "pipeline/desired_table.hpp"

#include "generators/generators.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace iplb {
namespace {

class DesiredTable : public ::testing::Test {
protected:
	void SetUp() override
	{
		auto t = make_fat_tree({.k = 4});
		ASSERT_TRUE(t) << t.error().message;
		topology_ = *t;
		auto v = topology_->find(*parse_ipv4("10.1.2.2"));
		ASSERT_TRUE(v);
		source_ = *v;
	}

	std::map<std::string, RouteSpec> table(const TableOptions &options)
	{
		auto specs = desired_table(*topology_, source_, options);
		EXPECT_TRUE(specs) << specs.error().message;
		std::map<std::string, RouteSpec> out;
		for (const RouteSpec &spec : specs ? *specs : std::vector<RouteSpec>{})
			out.emplace(to_string(spec.prefix), spec);
		return out;
	}

	TopologySnapshot topology_;
	Topology::Vertex source_ = 0;
};

TEST_F(DesiredTable, EveryOtherHostHasAnEntryAndNoneOfItsOwn)
{
	const auto t = table({.k = 4});
	EXPECT_EQ(t.size(), 15u) << "16 hosts announce a /32 each";
	EXPECT_FALSE(t.count("10.1.2.2/32"));
	for (const auto &[prefix, spec] : t) {
		EXPECT_FALSE(spec.lists.empty()) << prefix;
		EXPECT_LE(spec.lists.size(), 4u) << prefix;
		EXPECT_TRUE(validate(spec)) << prefix << ": fits the kernel table";
	}
}

TEST_F(DesiredTable, AHostUnderTheSameSwitchIsReachedDirectly)
{
	// One loopless path (host, edge, host): it needs no relay.
	const auto t = table({.k = 4});
	const RouteSpec &neighbour = t.at("10.1.2.3/32");
	ASSERT_EQ(neighbour.lists.size(), 1u);
	EXPECT_TRUE(neighbour.lists[0].relays.empty()) << "the direct list";
}

TEST_F(DesiredTable, AnotherPodIsReachedThroughEachCoreSwitch)
{
	// Four equal-cost paths, one per core switch; pinning one takes that
	// core switch as the relay (exact planner).
	const auto t = table({.k = 4});
	const RouteSpec &far = t.at("10.4.3.3/32");
	ASSERT_EQ(far.lists.size(), 4u);
	std::set<std::string> cores;
	for (const RelayList &list : far.lists) {
		ASSERT_EQ(list.relays.size(), 1u) << to_string(list);
		const std::string relay = to_string(list.relays[0]);
		EXPECT_EQ(relay.rfind("10.200.", 0), 0u) << relay << " is a core switch";
		cores.insert(relay);
	}
	EXPECT_EQ(cores.size(), 4u);
}

TEST_F(DesiredTable, OptionsReachTheEntries)
{
	const auto t = table({.k = 2, .encap = Encap::gre, .selection = Selection::flow});
	const RouteSpec &far = t.at("10.4.3.3/32");
	EXPECT_EQ(far.lists.size(), 2u);
	EXPECT_EQ(far.encap, Encap::gre);
	EXPECT_EQ(far.selection, Selection::flow);
}

TEST_F(DesiredTable, APrefixOfTheSourceItselfIsRefused)
{
	CostTreeCache trees(*topology_);
	auto own = paths_to_prefix(*topology_, source_, *parse_prefix("10.1.2.2/32"), 4,
				   Metric::cost, Planner::exact, trees);
	ASSERT_FALSE(own);
	EXPECT_EQ(own.error().message, "10.1.2.2/32 is announced by the source 10.1.2.2 itself");
	auto nobody = paths_to_prefix(*topology_, source_, *parse_prefix("192.0.2.0/24"), 4,
				      Metric::cost, Planner::exact, trees);
	ASSERT_TRUE(nobody);
	EXPECT_TRUE(nobody->paths.empty());
}

} // namespace
} // namespace iplb
