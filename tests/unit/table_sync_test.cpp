// SPDX-License-Identifier: GPL-2.0-or-later
// Bringing a table to the wanted one: only differences are written, new
// records before removals, and one failed write changes nothing else.
#include "table/table_sync.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>

namespace iplb {
namespace {

RouteSpec route(const char *prefix, std::initializer_list<const char *> lists,
		Encap encap = Encap::ipip)
{
	RouteSpec spec;
	spec.prefix = *parse_ip_prefix(prefix);
	for (const char *list : lists)
		spec.lists.push_back(*parse_relay_list(list));
	spec.encap = encap;
	return spec;
}

// A table in memory that logs what is done to it.
class LoggedTable : public RouteTable {
public:
	Result<std::vector<RouteSpec>, Error> routes() const override
	{
		std::vector<RouteSpec> out;
		for (const auto &[prefix, spec] : table)
			out.push_back(spec);
		return out;
	}
	Status put(const RouteSpec &spec) override
	{
		log.push_back("put " + to_string(spec.prefix));
		if (to_string(spec.prefix) == refuse)
			return unexpected(Error{"refused"});
		if (capacity && !table.count(spec.prefix) && table.size() >= *capacity)
			return unexpected(Error{"the table is full"});
		table[spec.prefix] = spec;
		return ok();
	}
	Status remove(const IpPrefix &prefix) override
	{
		log.push_back("remove " + to_string(prefix));
		table.erase(prefix);
		return ok();
	}

	std::map<IpPrefix, RouteSpec> table;
	std::vector<std::string> log;
	std::string refuse;
	std::optional<size_t> capacity; // as the eBPF table: a new prefix needs room
};

TEST(TableSync, WritesOnlyWhatChangedNewRecordsBeforeRemovals)
{
	LoggedTable t;
	for (const auto &r :
	     {route("10.4.1.0/24", {"10.255.0.1"}), route("10.4.2.0/24", {"10.255.0.2"}),
	      route("10.4.3.0/24", {"10.255.0.3"})})
		t.table[r.prefix] = r;

	const std::vector<RouteSpec> wanted{
		route("10.4.1.0/24", {"10.255.0.1"}),		    // as it is
		route("10.4.2.0/24", {"10.255.0.2", "10.255.0.4"}), // one more list
		route("10.4.3.0/25", {"10.255.0.3"}),		    // moved to a /25
		route("fc00:4:1::/64", {"fc00::1"}, Encap::gre),    // new
	};
	auto result = sync_table(t, wanted);
	ASSERT_TRUE(result) << result.error().message;
	EXPECT_EQ(result->unchanged, 1u);
	EXPECT_EQ(result->put, 3u);
	EXPECT_EQ(result->removed, 1u);
	EXPECT_TRUE(result->errors.empty());
	EXPECT_EQ(t.log, (std::vector<std::string>{"put 10.4.2.0/24", "put 10.4.3.0/25",
						   "put fc00:4:1::/64", "remove 10.4.3.0/24"}));

	// Again: nothing to do, nothing written.
	t.log.clear();
	result = sync_table(t, wanted);
	ASSERT_TRUE(result);
	EXPECT_EQ(result->unchanged, 4u);
	EXPECT_TRUE(t.log.empty());
}

TEST(TableSync, AFailedWriteLeavesThatPrefixAsItWasAndTheRestGoesOn)
{
	LoggedTable t;
	const RouteSpec old = route("10.4.1.0/24", {"10.255.0.1"});
	t.table[old.prefix] = old;
	t.refuse = "10.4.1.0/24";
	auto result = sync_table(t, std::vector<RouteSpec>{route("10.4.1.0/24", {"10.255.0.9"}),
							   route("10.4.2.0/24", {"10.255.0.2"})});
	ASSERT_TRUE(result);
	EXPECT_EQ(result->put, 1u);
	EXPECT_EQ(result->errors, std::vector<std::string>{"10.4.1.0/24: refused"});
	EXPECT_EQ(t.table.at(old.prefix), old) << "the old record still forwards";
}

TEST(TableSync, APrefixWantedTwiceIsRefusedBeforeAnyWrite)
{
	LoggedTable t;
	auto result = sync_table(t, std::vector<RouteSpec>{route("10.4.1.0/24", {"10.255.0.1"}),
							   route("10.4.1.0/24", {"10.255.0.2"})});
	ASSERT_FALSE(result);
	EXPECT_EQ(result.error().message, "10.4.1.0/24 is wanted twice");
	EXPECT_TRUE(t.log.empty());
}

// A full table: a changed record replaces its prefix's in place, first; a
// new one waits for the removals that make room. With room for some, those
// go first (make before break) and only the rest wait.
TEST(TableSync, AFullTableTakesNewRecordsAfterTheRemovalsThatMakeRoom)
{
	LoggedTable t;
	t.capacity = 3;
	for (const auto &r :
	     {route("10.4.1.0/24", {"10.255.0.1"}), route("10.4.2.0/24", {"10.255.0.2"}),
	      route("10.4.3.0/24", {"10.255.0.3"})})
		t.table[r.prefix] = r;
	const std::vector<RouteSpec> wanted{
		route("10.4.0.0/24", {"10.255.0.9"}),		    // new
		route("10.4.2.0/24", {"10.255.0.2", "10.255.0.4"}), // changed
		route("10.4.3.0/24", {"10.255.0.3"}),		    // as it is
	};
	auto result = sync_table(t, wanted, 3);
	ASSERT_TRUE(result) << result.error().message;
	EXPECT_TRUE(result->errors.empty()) << result->errors.front();
	EXPECT_EQ(result->put, 2u);
	EXPECT_EQ(result->removed, 1u);
	EXPECT_EQ(t.log, (std::vector<std::string>{"put 10.4.2.0/24", "remove 10.4.1.0/24",
						   "put 10.4.0.0/24"}));
	EXPECT_EQ(t.table.size(), 3u);

	// Room for one of two new prefixes: it goes in first, the other waits.
	t.log.clear();
	t.capacity = 4;
	result = sync_table(
		t,
		std::vector<RouteSpec>{route("10.4.5.0/24", {"10.255.0.5"}),
				       route("10.4.6.0/24", {"10.255.0.6"}),
				       route("10.4.3.0/24", {"10.255.0.3"}),
				       route("10.4.2.0/24", {"10.255.0.2", "10.255.0.4"})},
		4);
	ASSERT_TRUE(result);
	EXPECT_TRUE(result->errors.empty()) << result->errors.front();
	EXPECT_EQ(t.log, (std::vector<std::string>{"put 10.4.5.0/24", "remove 10.4.0.0/24",
						   "put 10.4.6.0/24"}));
}

// More wanted than the table holds: what finds no room is reported as not
// written, with the table's error, and the rest is written.
TEST(TableSync, WritesThatFindNoRoomAreReportedNotWritten)
{
	LoggedTable t;
	t.capacity = 2;
	auto result = sync_table(t,
				 std::vector<RouteSpec>{route("10.4.1.0/24", {"10.255.0.1"}),
							route("10.4.2.0/24", {"10.255.0.2"}),
							route("10.4.3.0/24", {"10.255.0.3"})},
				 2);
	ASSERT_TRUE(result);
	EXPECT_EQ(result->put, 2u);
	ASSERT_EQ(result->not_written.size(), 1u);
	EXPECT_EQ(result->not_written[0].prefix, *parse_ip_prefix("10.4.3.0/24"));
	EXPECT_EQ(result->not_written[0].error, "the table is full");
	EXPECT_EQ(result->errors, std::vector<std::string>{"10.4.3.0/24: the table is full"});
}

} // namespace
} // namespace iplb
