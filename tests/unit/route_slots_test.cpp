// SPDX-License-Identifier: GPL-2.0-or-later
// Counter slots per exact prefix: a prefix inside another has a slot of its
// own, a removed prefix's slot is taken again (the lowest first), a full
// table says so.
#include "table/route_slots.hpp"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace iplb {
namespace {

IpPrefix p(const char *text)
{
	return *parse_ip_prefix(text);
}

TEST(RouteSlots, APrefixInsideAnotherHasASlotOfItsOwn)
{
	RouteSlots slots(8);
	EXPECT_EQ(*slots.slot_for(p("10.4.1.0/24")), std::pair(0u, false));
	slots.assign(p("10.4.1.0/24"), 0);
	// An LPM lookup of 10.4.1.7/32 finds 10.4.1.0/24; the slots do not.
	EXPECT_EQ(*slots.slot_for(p("10.4.1.7/32")), std::pair(1u, false));
	slots.assign(p("10.4.1.7/32"), 1);
	EXPECT_EQ(*slots.slot_for(p("10.4.1.0/24")), std::pair(0u, true));
	EXPECT_EQ(*slots.slot_for(p("10.4.1.7/32")), std::pair(1u, true));
	EXPECT_EQ(slots.size(), 2u);
}

TEST(RouteSlots, ARemovedPrefixsSlotIsTakenAgainLowestFirst)
{
	RouteSlots slots(4);
	for (const char *prefix : {"10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"}) {
		const auto [slot, present] = *slots.slot_for(p(prefix));
		ASSERT_FALSE(present);
		slots.assign(p(prefix), slot);
	}
	slots.release(p("10.0.1.0/24"));
	slots.release(p("10.0.0.0/24"));
	EXPECT_EQ(slots.slot_for(p("fc00::/64"))->first, 0u);
	slots.assign(p("fc00::/64"), 0);
	EXPECT_EQ(slots.slot_for(p("10.0.9.0/24"))->first, 1u);
	EXPECT_EQ(slots.slot(p("10.0.2.0/24")), 2u);
	EXPECT_EQ(slots.slot(p("10.0.1.0/24")), std::nullopt);
}

TEST(RouteSlots, AFullTableSaysSoUntilAPrefixGoes)
{
	RouteSlots slots(2);
	slots.assign(p("10.0.0.0/24"), 0);
	slots.assign(p("10.0.1.0/24"), 1);
	auto full = slots.slot_for(p("10.0.2.0/24"));
	ASSERT_FALSE(full);
	EXPECT_EQ(full.error().message, "the table is full (2 prefixes)");
	EXPECT_EQ(*slots.slot_for(p("10.0.1.0/24")), std::pair(1u, true)) << "a replace still fits";
	slots.release(p("10.0.1.0/24"));
	EXPECT_EQ(*slots.slot_for(p("10.0.2.0/24")), std::pair(1u, false));
}

TEST(RouteSlots, ATableReadBackKeepsItsSlotsAndASharedSlotStaysTaken)
{
	RouteSlots slots(4);
	// Written by an older iplbd: the /32 shares the /24's slot.
	const std::vector<std::pair<IpPrefix, uint32_t>> records{
		{p("10.4.1.0/24"), 2}, {p("10.4.1.7/32"), 2}, {p("10.4.2.0/24"), 0}};
	ASSERT_TRUE(slots.reset(records));
	EXPECT_EQ(slots.slot(p("10.4.1.7/32")), 2u);
	EXPECT_EQ(slots.slot_for(p("10.9.0.0/16"))->first, 1u);
	slots.release(p("10.4.1.0/24"));
	slots.assign(p("10.9.0.0/16"), 1);
	EXPECT_EQ(slots.slot_for(p("10.9.1.0/24"))->first, 3u) << "2 is still the /32's";
	slots.release(p("10.4.1.7/32"));
	EXPECT_EQ(slots.slot_for(p("10.9.1.0/24"))->first, 2u);

	const std::vector<std::pair<IpPrefix, uint32_t>> beyond{{p("10.4.1.0/24"), 4}};
	auto refused = slots.reset(beyond);
	ASSERT_FALSE(refused);
	EXPECT_EQ(refused.error().message, "10.4.1.0/24: route slot 4 is beyond the table's 4");
}

} // namespace
} // namespace iplb
