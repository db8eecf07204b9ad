// SPDX-License-Identifier: GPL-2.0-or-later
// The host pipeline against the offline reference (desired_table(), Yen per
// prefix from scratch) on a k=4 fat-tree, before and after a link cut, and
// what it writes into a table, of bounded capacity too.
#include "pipeline/host_pipeline.hpp"

#include "generators/generators.hpp"
#include "roles/host_config.hpp"
#include "roles/host_plane.hpp"
#include "show/show.hpp"
#include "topology/json_format.hpp"
#include "topology/topology.hpp"

#include "iplb_host_layout.h"

#include <gtest/gtest.h>

#include "poll_loop.hpp"

#include <algorithm>
#include <map>
#include <regex>

namespace iplb {
namespace {

// A datapath table in memory, counting writes.
class MemoryTable : public RouteTable {
public:
	Result<std::vector<RouteSpec>, Error> routes() const override
	{
		std::vector<RouteSpec> out;
		for (const auto &[prefix, route] : routes_)
			out.push_back(route);
		return out;
	}
	Status put(const RouteSpec &route) override
	{
		if (fail && route.prefix == *fail)
			return unexpected(Error{"refused"});
		if (capacity && !routes_.count(route.prefix) && routes_.size() >= *capacity)
			return unexpected(Error{"the table is full"});
		puts++;
		routes_.insert_or_assign(route.prefix, route);
		return ok();
	}
	Status remove(const IpPrefix &prefix) override
	{
		removes++;
		routes_.erase(prefix);
		return ok();
	}

	std::map<IpPrefix, RouteSpec> routes_;
	size_t puts = 0, removes = 0;
	std::optional<IpPrefix> fail;
	std::optional<size_t> capacity; // as the eBPF table: a new prefix needs room
};

Ipv4 ip(const char *text)
{
	return *parse_ipv4(text);
}

Ipv4Prefix prefix(const char *text)
{
	return *parse_prefix(text);
}

// The fat-tree without the link between two routers (both directions).
TopologySnapshot without_link(const Topology &t, const std::string &a, const std::string &b)
{
	std::string text = topology_to_json(t);
	for (const auto &[from, to] : {std::pair{a, b}, std::pair{b, a}})
		text = std::regex_replace(text,
					  std::regex("\\s*\\{\"from\":\"" + from + "\",\"to\":\"" +
						     to + "\",\"cost\":[0-9]+\\},?"),
					  "");
	// The last entry of an array may have lost its successor's comma.
	text = std::regex_replace(text, std::regex(",(\\s*\\])"), "$1");
	auto parsed = parse_topology_json(text);
	EXPECT_TRUE(parsed) << parsed.error().message;
	return parsed ? *parsed : nullptr;
}

class HostPipelineTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		auto t = make_fat_tree({.k = 4});
		ASSERT_TRUE(t) << t.error().message;
		topology_ = *t;
		pipeline_.set_source(ip("10.1.2.2"));
		pipeline_.set_table(&table_);
	}

	std::vector<RouteSpec> reference(const TopologySnapshot &t, const TableOptions &options)
	{
		auto specs = desired_table(*t, *t->find(ip("10.1.2.2")), options);
		EXPECT_TRUE(specs) << specs.error().message;
		return specs ? *specs : std::vector<RouteSpec>{};
	}

	std::vector<RouteSpec> installed() const
	{
		std::vector<RouteSpec> out;
		for (const auto &[p, route] : table_.routes_)
			out.push_back(route);
		return out;
	}

	TopologySnapshot topology_;
	MemoryTable table_;
	HostPipeline pipeline_;
};

TEST_F(HostPipelineTest, TheTableIsWhatTheOfflineComputationGives)
{
	for (unsigned k : {1u, 4u, 8u}) {
		PipelineConfig config;
		config.defaults.k = k;
		ASSERT_TRUE(pipeline_.set_config(config));
		pipeline_.run(topology_);
		const auto expected = reference(topology_, config.defaults);
		ASSERT_EQ(expected.size(), 15u);
		EXPECT_EQ(pipeline_.desired(), expected) << "k=" << k;
		EXPECT_EQ(installed(), expected) << "k=" << k;
	}
	EXPECT_EQ(pipeline_.counters().recomputes, 3u);
	EXPECT_EQ(pipeline_.counters().compute_errors, 0u);
}

TEST_F(HostPipelineTest, ALinkCutIsRecomputedIncrementallyAndOnlyItsChangesAreWritten)
{
	PipelineConfig config;
	config.defaults.k = 4;
	ASSERT_TRUE(pipeline_.set_config(config));
	pipeline_.run(topology_);
	const auto before = installed();
	const size_t puts = table_.puts;

	// An aggregation switch of pod 1 loses its link to a core switch.
	auto cut = without_link(*topology_, "10.1.0.1", "10.200.0.0");
	ASSERT_TRUE(cut);
	ASSERT_LT(cut->edge_count(), topology_->edge_count());
	pipeline_.run(cut);
	const auto expected = reference(cut, config.defaults);
	EXPECT_EQ(installed(), expected);
	EXPECT_EQ(pipeline_.counters().incremental, 1u);

	auto changes = diff_tables(before, expected);
	ASSERT_TRUE(changes);
	EXPECT_GT(changes->put.size(), 0u) << "the cut core switch relayed some lists";
	EXPECT_EQ(table_.puts - puts, changes->put.size()) << "only the changed prefixes";
	EXPECT_EQ(table_.removes, 0u);
}

TEST_F(HostPipelineTest, TheSameTopologyAgainWritesNothing)
{
	pipeline_.run(topology_);
	const size_t puts = table_.puts;
	pipeline_.rerun();
	EXPECT_EQ(table_.puts, puts);
	EXPECT_EQ(pipeline_.counters().without_changes, 1u);
	EXPECT_EQ(pipeline_.counters().syncs, 2u);
}

TEST_F(HostPipelineTest, WithoutItsOwnRouterTheTableIsKept)
{
	pipeline_.run(topology_);
	const auto kept = installed();
	ASSERT_FALSE(kept.empty());
	pipeline_.set_source(ip("10.9.9.9"));
	pipeline_.run(topology_);
	EXPECT_EQ(installed(), kept);
	EXPECT_EQ(pipeline_.counters().skipped_no_source, 1u);

	// Our router back, but without an adjacency yet (ospfd restarted): the
	// topology says we reach nothing, which is not news to act on.
	pipeline_.set_source(ip("10.1.2.2"));
	TopologyBuilder alone;
	ASSERT_TRUE(alone.add_router(ip("10.1.2.2")));
	ASSERT_TRUE(alone.add_router(ip("10.4.3.3")));
	ASSERT_TRUE(alone.add_prefix(ip("10.4.3.3"), prefix("10.4.3.3/32"), 0));
	auto isolated = alone.build();
	ASSERT_TRUE(isolated) << isolated.error().message;
	pipeline_.run(*isolated);
	EXPECT_EQ(installed(), kept);
	EXPECT_EQ(pipeline_.counters().skipped_no_source, 2u);
}

TEST_F(HostPipelineTest, FiltersAndPoliciesShapeTheDestinations)
{
	PipelineConfig config;
	config.defaults.k = 4;
	config.include = {prefix("10.4.0.0/16")};
	config.exclude = {prefix("10.4.2.0/24")};
	PrefixPolicy policy;
	policy.prefix = prefix("10.4.3.3/32");
	policy.k = 2;
	policy.encap = Encap::gre;
	policy.selection = Selection::weighted;
	policy.weights = {3, 1};
	config.policies = {policy};
	ASSERT_TRUE(pipeline_.set_config(config));
	pipeline_.run(topology_);

	std::vector<std::string> prefixes;
	for (const RouteSpec &r : pipeline_.desired())
		prefixes.push_back(to_string(r.prefix));
	EXPECT_EQ(prefixes, (std::vector<std::string>{"10.4.3.2/32", "10.4.3.3/32"}));
	const RouteSpec &special = pipeline_.desired().back();
	ASSERT_EQ(special.lists.size(), 2u);
	EXPECT_EQ(special.encap, Encap::gre);
	EXPECT_EQ(special.selection, Selection::weighted);
	EXPECT_EQ(special.lists[0].weight, 3u);
	EXPECT_EQ(special.lists[1].weight, 1u);
	const RouteSpec &plain = pipeline_.desired().front();
	EXPECT_EQ(plain.lists.size(), 4u);
	EXPECT_EQ(plain.encap, Encap::ipip);

	auto shown = pipeline_.explain(prefix("10.4.3.3/32"));
	ASSERT_TRUE(shown) << shown.error().message;
	EXPECT_EQ(shown->paths.paths.size(), 2u);
	EXPECT_EQ(shown->route, special);
	EXPECT_FALSE(pipeline_.explain(prefix("10.4.2.2/32"))) << "excluded";
	EXPECT_FALSE(pipeline_.explain(prefix("10.77.0.0/16"))) << "not announced";
}

TEST_F(HostPipelineTest, ListsLongerThanTheLimitAreLeftOut)
{
	// The tree planner relays at every branch: long lists at k=8.
	PipelineConfig config;
	config.defaults.planner = Planner::tree;
	ASSERT_TRUE(pipeline_.set_config(config));
	pipeline_.run(topology_);
	size_t longest = 0;
	for (const RouteSpec &r : pipeline_.desired())
		for (const RelayList &l : r.lists)
			longest = std::max(longest, l.relays.size());
	ASSERT_GT(longest, 1u);

	config.max_relays = 1;
	ASSERT_TRUE(pipeline_.set_config(config));
	pipeline_.rerun();
	for (const RouteSpec &r : pipeline_.desired())
		for (const RelayList &l : r.lists)
			EXPECT_LE(l.relays.size(), 1u) << to_string(r.prefix);
	EXPECT_GT(pipeline_.counters().lists_too_long, 0u);
}

TEST_F(HostPipelineTest, StaticRoutesAreInstalledAsConfigured)
{
	PipelineConfig config;
	RouteSpec outside;
	outside.prefix = prefix("192.0.2.0/24");
	outside.lists = {*parse_relay_list("10.200.0.0"), *parse_relay_list("10.200.0.1")};
	outside.encap = Encap::gue;
	config.static_routes = {outside};
	ASSERT_TRUE(pipeline_.set_config(config));
	pipeline_.run(topology_);
	ASSERT_TRUE(table_.routes_.count(outside.prefix));
	EXPECT_EQ(table_.routes_.at(outside.prefix), outside);
	EXPECT_EQ(table_.routes_.size(), 16u);
}

TEST_F(HostPipelineTest, APrefixThatCannotBeWrittenIsCountedAndTheRestGoesOn)
{
	table_.fail = prefix("10.4.3.3/32");
	pipeline_.run(topology_);
	EXPECT_EQ(table_.routes_.size(), 14u);
	EXPECT_EQ(pipeline_.counters().sync_errors, 1u);
	EXPECT_NE(pipeline_.counters().last_error.find("10.4.3.3/32"), std::string::npos)
		<< pipeline_.counters().last_error;
}

// ---------------------------------------------------------------------------
// A table of bounded capacity (the eBPF table holds IPLB_MAX_ROUTES).

RouteSpec static_route(const char *text)
{
	RouteSpec route;
	route.prefix = *parse_ip_prefix(text);
	route.lists = {*parse_relay_list("10.200.0.0")};
	return route;
}

std::vector<std::string> prefixes_of(const std::vector<RouteSpec> &routes)
{
	std::vector<std::string> out;
	for (const RouteSpec &r : routes)
		out.push_back(to_string(r.prefix));
	return out;
}

std::vector<std::string> prefixes_of(const std::vector<NotInstalled> &entries)
{
	std::vector<std::string> out;
	for (const NotInstalled &e : entries)
		out.push_back(to_string(e.prefix) + " " + to_string(e));
	return out;
}

// Static routes first, then the most specific, then by address; the same
// ranking at every recompute and in a pipeline that starts afresh.
TEST(TableLimit, StaticRoutesFirstThenTheMostSpecificThenByAddress)
{
	std::vector<RouteSpec> wanted;
	for (const char *p : {"10.1.0.0/16", "10.1.1.0/24", "10.1.1.1/32", "10.0.0.0/8",
			      "10.2.2.2/32", "10.1.2.0/24", "fc00::/64"})
		wanted.push_back(static_route(p));
	const std::set<IpPrefix> statics{*parse_ip_prefix("10.0.0.0/8"),
					 *parse_ip_prefix("fc00::/64")};
	auto admission = admit(wanted, statics, 5);
	EXPECT_EQ(prefixes_of(admission.admitted),
		  (std::vector<std::string>{"10.0.0.0/8", "10.1.1.0/24", "10.1.1.1/32",
					    "10.2.2.2/32", "fc00::/64"}));
	EXPECT_EQ(prefixes_of(admission.left_out),
		  (std::vector<std::string>{"10.1.0.0/16", "10.1.2.0/24"}));

	std::reverse(wanted.begin(), wanted.end());
	EXPECT_EQ(prefixes_of(admit(wanted, statics, 5).admitted), prefixes_of(admission.admitted))
		<< "a function of the set, not of its order";
	EXPECT_EQ(admit(wanted, statics, std::nullopt).admitted.size(), 7u) << "no bound";
	EXPECT_EQ(admit(wanted, statics, 7).left_out.size(), 0u);
}

TEST_F(HostPipelineTest, AFullTableHoldsStaticRoutesThenTheFirstRankedAndMarksTheRest)
{
	PipelineConfig config;
	config.static_routes = {static_route("192.0.2.0/24"), static_route("198.51.100.0/24")};
	config.capacity = 10;
	table_.capacity = 10;
	ASSERT_TRUE(pipeline_.set_config(config));
	pipeline_.run(topology_);

	// 15 hosts' /32s from 10.1.2.2: the 8 lowest addresses fit beside the
	// two static routes.
	const auto computed = reference(topology_, config.defaults);
	ASSERT_EQ(computed.size(), 15u);
	std::vector<RouteSpec> expected(computed.begin(), computed.begin() + 8);
	expected.insert(expected.end(), config.static_routes.begin(), config.static_routes.end());
	EXPECT_EQ(pipeline_.desired(), expected);
	EXPECT_EQ(installed(), expected);
	std::vector<std::string> left_out;
	for (auto it = computed.begin() + 8; it != computed.end(); ++it)
		left_out.push_back(to_string(it->prefix) + " table full");
	EXPECT_EQ(prefixes_of(pipeline_.not_installed()), left_out);
	EXPECT_EQ(pipeline_.fill(), (TableFill{.capacity = 10,
					       .destinations = 17,
					       .installed = 10,
					       .table_full = 7,
					       .write_failed = 0}));
	EXPECT_EQ(pipeline_.fill().not_installed(), 7u);
	EXPECT_TRUE(pipeline_.fill().full());
	EXPECT_EQ(pipeline_.counters().sync_errors, 0u) << pipeline_.counters().last_error;

	// Recomputed: the same winners, nothing written.
	const size_t puts = table_.puts;
	pipeline_.rerun();
	EXPECT_EQ(table_.puts, puts);
	EXPECT_EQ(pipeline_.desired(), expected);
	EXPECT_EQ(prefixes_of(pipeline_.not_installed()), left_out);

	// A pipeline that starts afresh (iplbd restarted) picks the same.
	HostPipeline again;
	again.set_source(ip("10.1.2.2"));
	ASSERT_TRUE(again.set_config(config));
	again.run(topology_);
	EXPECT_EQ(again.desired(), expected);

	// `show iplb paths` of one left out says so.
	auto shown = pipeline_.explain(prefix("10.4.3.3/32"));
	ASSERT_TRUE(shown) << shown.error().message;
	ASSERT_TRUE(shown->not_installed);
	EXPECT_EQ(shown->not_installed->reason, NotInstalledReason::table_full);
	EXPECT_FALSE(pipeline_.explain(prefix("10.1.2.3/32"))->not_installed);
}

TEST_F(HostPipelineTest, WaitingDestinationsAreInstalledAsSoonAsThereIsRoom)
{
	PipelineConfig config;
	for (const char *p :
	     {"192.0.2.0/24", "192.0.3.0/24", "192.0.4.0/24", "192.0.5.0/24", "192.0.6.0/24"})
		config.static_routes.push_back(static_route(p));
	config.capacity = 10;
	table_.capacity = 10; // a new record needs room: make-before-break must not overflow
	ASSERT_TRUE(pipeline_.set_config(config));
	pipeline_.run(topology_);
	EXPECT_EQ(pipeline_.fill().installed, 10u);
	EXPECT_EQ(pipeline_.fill().table_full, 10u);

	config.static_routes.resize(2); // three static routes removed
	ASSERT_TRUE(pipeline_.set_config(config));
	pipeline_.rerun();
	EXPECT_EQ(pipeline_.counters().sync_errors, 0u) << pipeline_.counters().last_error;
	EXPECT_EQ(table_.routes_.size(), 10u);
	EXPECT_EQ(pipeline_.fill().table_full, 7u);
	const auto computed = reference(topology_, config.defaults);
	for (size_t i = 0; i < 8; i++)
		EXPECT_TRUE(table_.routes_.count(computed[i].prefix))
			<< to_string(computed[i].prefix);

	config.static_routes.clear();
	config.capacity = 15;
	table_.capacity = 15;
	ASSERT_TRUE(pipeline_.set_config(config));
	pipeline_.rerun();
	EXPECT_EQ(installed(), computed);
	EXPECT_TRUE(pipeline_.not_installed().empty());
	EXPECT_FALSE(pipeline_.fill().full());
	EXPECT_EQ(pipeline_.counters().sync_errors, 0u) << pipeline_.counters().last_error;
}

TEST_F(HostPipelineTest, AFailedWriteIsMarkedNotInstalledWithTheError)
{
	table_.fail = prefix("10.4.3.3/32");
	pipeline_.run(topology_);
	ASSERT_EQ(pipeline_.not_installed().size(), 1u);
	EXPECT_EQ(to_string(pipeline_.not_installed()[0]), "write failed: refused");
	EXPECT_EQ(pipeline_.fill(), (TableFill{.capacity = std::nullopt,
					       .destinations = 15,
					       .installed = 14,
					       .table_full = 0,
					       .write_failed = 1}));
	table_.fail.reset();
	pipeline_.rerun();
	EXPECT_TRUE(pipeline_.not_installed().empty());
	EXPECT_EQ(pipeline_.fill().installed, 15u);
}

// The host plane's health says what the pipeline left out: a full table is
// a problem (status, the log), and the plane is not healthy until it fits.
TEST_F(HostPipelineTest, AFullTableIsAProblemOfTheHostPlane)
{
	test::PollLoop loop;
	HostPlane plane(loop, topology_, [] { return std::optional<Ipv4>(ip("10.1.2.2")); }, {}, {},
			{});
	HostPlaneConfig config;
	config.pipeline.capacity = 10;
	ASSERT_TRUE(plane.configure(config));
	EXPECT_FALSE(plane.healthy());
	EXPECT_EQ(
		plane.problems(),
		std::vector<std::string>{"table full: 5 destinations not installed (capacity 10)"});

	config.pipeline.capacity = 15;
	ASSERT_TRUE(plane.configure(config));
	EXPECT_TRUE(plane.healthy());
	EXPECT_TRUE(plane.problems().empty());
}

// The reconciler's resync (every second) into a full table: a record
// written behind iplbd's back is removed before the one that failed is
// written again, and what is installed is what the resync left.
TEST_F(HostPipelineTest, AResyncOfAFullTableRemovesStrangersFirstAndUpdatesTheFill)
{
	PipelineConfig config;
	config.static_routes = {static_route("192.0.2.0/24"), static_route("198.51.100.0/24")};
	config.capacity = 10;
	table_.capacity = 10;
	table_.fail = prefix("10.1.2.3/32"); // ranks first among the computed
	ASSERT_TRUE(pipeline_.set_config(config));
	pipeline_.run(topology_);
	EXPECT_EQ(pipeline_.fill().installed, 9u);
	EXPECT_EQ(pipeline_.fill().write_failed, 1u);
	EXPECT_EQ(pipeline_.fill().table_full, 7u);

	table_.fail.reset();
	const RouteSpec stranger = static_route("203.0.113.0/24");
	table_.routes_[stranger.prefix] = stranger; // iplbctl prefix add: the table is full
	EXPECT_EQ(pipeline_.resync(), 2u);
	EXPECT_FALSE(table_.routes_.count(stranger.prefix));
	EXPECT_TRUE(table_.routes_.count(prefix("10.1.2.3/32")));
	EXPECT_EQ(pipeline_.fill().installed, 10u);
	EXPECT_EQ(pipeline_.fill().write_failed, 0u);
	EXPECT_EQ(pipeline_.not_installed().size(), 7u);
}

// `show iplb table`: what is installed with its relays, what is not with
// why and without relays.
TEST_F(HostPipelineTest, TheTableShowsWhatIsNotInstalledAndWhy)
{
	PipelineConfig config;
	config.static_routes = {static_route("192.0.2.0/24"), static_route("198.51.100.0/24")};
	config.capacity = 10;
	ASSERT_TRUE(pipeline_.set_config(config));
	pipeline_.run(topology_);

	const std::string text = table_text(pipeline_);
	EXPECT_NE(text.find("Destinations: 17; table capacity 10: 10 installed, 7 NOT installed "
			    "(7 table full)\n"),
		  std::string::npos)
		<< text;
	EXPECT_NE(text.find("\n  10.4.3.3/32 not installed: table full\n"), std::string::npos)
		<< text;
	EXPECT_EQ(text.find("10.4.3.3/32 encap"), std::string::npos) << "no relays: " << text;
	EXPECT_NE(text.find("\n  192.0.2.0/24 encap ipip mode hash relay 10.200.0.0\n"),
		  std::string::npos)
		<< text;

	const auto json = table_json(pipeline_);
	EXPECT_EQ(json["fill"],
		  nlohmann::ordered_json::parse(R"({"capacity": 10, "destinations": 17,
			"installed": 10, "notInstalled": 7, "tableFull": 7, "writeFailed": 0})"));
	EXPECT_EQ(json["routes"].size(), 10u);
	ASSERT_EQ(json["notInstalled"].size(), 7u);
	EXPECT_EQ(
		json["notInstalled"].back(),
		nlohmann::ordered_json::parse(
			R"({"prefix": "10.4.3.3/32", "installed": false, "reason": "table full"})"));
	for (const auto &route : json["routes"])
		EXPECT_NE(route["prefix"], "10.4.3.3/32");

	// No bound: no capacity shown, nothing marked.
	config.capacity.reset();
	ASSERT_TRUE(pipeline_.set_config(config));
	pipeline_.rerun();
	EXPECT_TRUE(table_json(pipeline_)["fill"]["capacity"].is_null());
	EXPECT_EQ(table_json(pipeline_)["notInstalled"].size(), 0u);
	EXPECT_NE(table_text(pipeline_).find("Destinations: 17\n"), std::string::npos);
}

TEST(PipelineConfigCheck, MoreStaticRoutesThanTheTableHoldsAreRefused)
{
	PipelineConfig config;
	config.capacity = 4;
	for (const char *p : {"192.0.2.0/24", "192.0.3.0/24", "192.0.4.0/24", "192.0.5.0/24"})
		config.static_routes.push_back(static_route(p));
	EXPECT_TRUE(validate(config)) << "as many as it holds";
	config.static_routes.push_back(static_route("192.0.6.0/24"));
	auto refused = validate(config);
	ASSERT_FALSE(refused);
	EXPECT_EQ(refused.error().message, "5 static routes: more than the datapath's table holds "
					   "(4 destinations, static routes included)");
	HostPipeline pipeline;
	EXPECT_FALSE(pipeline.set_config(config));
	EXPECT_TRUE(pipeline.config().static_routes.empty()) << "unchanged";
	config.capacity.reset();
	EXPECT_TRUE(validate(config)) << "no datapath, no bound";
}

// What the northbound's pre-validation asks (iplb_settings_check()): with
// the eBPF datapath, more static routes than its table holds are refused
// with a message; without a datapath they are only computed.
TEST(HostPlaneConfigCheck, MoreStaticRoutesThanTheEbpfTableHoldsAreRefused)
{
	const auto build = [](std::string_view engine, size_t statics) {
		HostPlaneConfigBuilder builder;
		builder.path(8, "cost", "exact", 8);
		builder.datapath(engine, "", "ipip", "hash", 0, 30000);
		for (size_t i = 0; i < statics; i++) {
			const std::string prefix = "10." + std::to_string(i / 256) + "." +
						   std::to_string(i % 256) + ".0/24";
			builder.static_list(prefix, "10.255.0.2");
		}
		return builder.finish();
	};
	auto fits = build("bpf", IPLB_MAX_ROUTES);
	ASSERT_TRUE(fits) << fits.error().message;
	EXPECT_EQ(fits->pipeline.capacity, size_t{IPLB_MAX_ROUTES});
	auto refused = build("bpf", IPLB_MAX_ROUTES + 1);
	ASSERT_FALSE(refused);
	EXPECT_EQ(refused.error().message,
		  std::to_string(IPLB_MAX_ROUTES + 1) +
			  " static routes: more than the datapath's table holds (" +
			  std::to_string(IPLB_MAX_ROUTES) +
			  " destinations, static routes included)");
	auto computed_only = build("none", IPLB_MAX_ROUTES + 1);
	ASSERT_TRUE(computed_only) << computed_only.error().message;
	EXPECT_EQ(computed_only->pipeline.capacity, std::nullopt);
}

TEST(PipelineConfigCheck, RefusesWhatCannotBeInstalled)
{
	PipelineConfig config;
	EXPECT_TRUE(validate(config));
	config.defaults.k = 0;
	EXPECT_FALSE(validate(config));
	config = {};
	config.max_relays = max_relays_per_list + 1;
	auto refused = validate(config);
	ASSERT_FALSE(refused);
	EXPECT_NE(refused.error().message.find("max relays"), std::string::npos);
	config = {};
	config.policies = {PrefixPolicy{.prefix = prefix("10.0.0.0/8"),
					.k = {},
					.planner = {},
					.encap = {},
					.selection = {},
					.weights = {}},
			   PrefixPolicy{.prefix = prefix("10.0.0.0/8"),
					.k = 2,
					.planner = {},
					.encap = {},
					.selection = {},
					.weights = {}}};
	EXPECT_FALSE(validate(config));
	config = {};
	RouteSpec long_list;
	long_list.prefix = prefix("192.0.2.0/24");
	long_list.lists = {*parse_relay_list("10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4,10.0.0.5,"
					     "10.0.0.6,10.0.0.7,10.0.0.8,10.0.0.9")};
	config.static_routes = {long_list};
	refused = validate(config);
	ASSERT_FALSE(refused);
	EXPECT_NE(refused.error().message.find("192.0.2.0/24"), std::string::npos);

	HostPipeline pipeline;
	config = {};
	config.defaults.k = 0;
	EXPECT_FALSE(pipeline.set_config(config));
	EXPECT_EQ(pipeline.config().defaults.k, TableOptions{}.k) << "unchanged";
}

} // namespace
} // namespace iplb

namespace iplb {
namespace {

TEST(HostPipelineDebug, EachRecordIsLoggedOnlyWhileDebugging)
{
	std::vector<std::string> lines;
	const LogSink sink = [&](LogLevel level, const std::string &message) {
		if (level == LogLevel::debug)
			lines.push_back(message);
	};
	auto topology = make_fat_tree({.k = 4});
	ASSERT_TRUE(topology);
	MemoryTable table;
	HostPipeline pipeline(sink, sink);
	pipeline.set_source(ip("10.1.2.2"));
	pipeline.set_table(&table);
	pipeline.run(*topology);
	EXPECT_TRUE(lines.empty()) << lines.front();

	table.routes_.clear();
	pipeline.set_debug(true, true);
	pipeline.rerun();
	const auto count = [&](const std::string &start) {
		return std::count_if(lines.begin(), lines.end(),
				     [&](const std::string &l) { return l.rfind(start, 0) == 0; });
	};
	EXPECT_EQ(count("paths: "), 15);
	EXPECT_EQ(count("datapath: wrote 10.4.3.3/32 encap ipip mode round-robin relay "), 1);
	EXPECT_EQ(count("datapath: wrote "), 15);
}

} // namespace
} // namespace iplb

namespace iplb {
namespace {

TEST(HostPipelinePrefixList, OnlyWhatTheListPermitsIsADestination)
{
	auto topology = make_fat_tree({.k = 4});
	ASSERT_TRUE(topology);
	MemoryTable table;
	HostPipeline pipeline;
	pipeline.set_source(ip("10.1.2.2"));
	pipeline.set_table(&table);
	std::vector<std::string> asked;
	pipeline.set_prefix_list_check([&](const std::string &name, const Ipv4Prefix &p) {
		asked.push_back(name);
		return p.length >= 16 && prefix("10.4.0.0/16").contains(p.address);
	});
	pipeline.run(*topology);
	EXPECT_EQ(table.routes_.size(), 15u) << "no list configured: no filter";
	EXPECT_TRUE(asked.empty());

	PipelineConfig config;
	config.prefix_list = "DC";
	ASSERT_TRUE(pipeline.set_config(config));
	pipeline.rerun();
	EXPECT_EQ(table.routes_.size(), 4u) << "the four hosts of pod 4";
	EXPECT_EQ(table.removes, 11u);
	ASSERT_FALSE(asked.empty());
	EXPECT_EQ(asked.front(), "DC");
}

} // namespace
} // namespace iplb
