// SPDX-License-Identifier: GPL-2.0-or-later
// The host datapath as the daemon manages it, against the kernel's own state:
// what the TCX hooks of an interface run, whatever the pins say. Each test
// runs in a network namespace of its own (veth interfaces) with a bpffs of
// its own, and checks the kernel, not iplbd's view of it.
#include "datapath/bpf_programs.hpp"
#include "datapath/host_datapath.hpp"
#include "datapath/owned_instances.hpp"
#include "datapath/tcx_link.hpp"

#include "fixtures.hpp"
#include "packets.hpp"

#include <gtest/gtest.h>

#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace iplb {
namespace {

using namespace test;

void remove_tree(const std::string &path)
{
	if (DIR *d = ::opendir(path.c_str())) {
		while (const dirent *e = ::readdir(d)) {
			const std::string name = e->d_name;
			if (name == "." || name == "..")
				continue;
			if (e->d_type == DT_DIR)
				remove_tree(path + "/" + name);
			else
				::unlink((path + "/" + name).c_str());
		}
		::closedir(d);
	}
	::rmdir(path.c_str());
}

class ManagedDatapath : public ::testing::Test {
protected:
	void SetUp() override
	{
		home_ = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		ASSERT_GE(home_, 0);
		ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << "needs root";
		add_interface("d0");
		record_path_ = "/tmp/iplb-test-record-" + std::to_string(::getpid());
		::unlink(record_path_.c_str());
	}

	void TearDown() override
	{
		remove_tree(root_);
		::umount2(root_.c_str(), MNT_DETACH);
		::rmdir(root_.c_str());
		::unlink(record_path_.c_str());
		// The namespace, its interfaces and every link on them go with it.
		if (home_ >= 0) {
			EXPECT_EQ(::setns(home_, CLONE_NEWNET), 0);
			::close(home_);
		}
	}

	static void add_interface(const std::string &name)
	{
		// A veth (its peer unused): kernels without modules may lack dummy.
		const std::string command = "ip link add dev " + name + " type veth peer name " +
					    name + "p && ip link set dev " + name + " up";
		ASSERT_EQ(std::system(command.c_str()), 0) << command;
	}
	static void delete_interface(const std::string &name)
	{
		const std::string command = "ip link del dev " + name;
		ASSERT_EQ(std::system(command.c_str()), 0) << command;
	}

	// A link whose last pin goes is released after an RCU grace period
	// (bpffs frees its inodes that way): the kernel detaches a moment later.
	static bool eventually(const std::function<bool()> &condition)
	{
		for (int i = 0; i < 200; i++) {
			if (condition())
				return true;
			::usleep(10000);
		}
		return condition();
	}

	// The programs the kernel runs on an interface's egress hook.
	static std::vector<uint32_t> egress_programs(const std::string &ifname)
	{
		auto ids = tcx_programs(if_nametoindex(ifname.c_str()), TcxDirection::egress);
		EXPECT_TRUE(ids) << ids.error().message;
		return ids ? *ids : std::vector<uint32_t>{};
	}

	HostDatapathConfig config(const std::string &instance,
				  std::set<std::string> interfaces = {"d0"}) const
	{
		HostDatapathConfig c;
		c.pin_root = root_;
		c.instance = instance;
		c.interfaces = std::move(interfaces);
		c.settings.source = Ipv4{source};
		return c;
	}

	PinDir pins(const std::string &instance) const { return PinDir{root_ + "/" + instance}; }

	std::vector<std::string> host_links(const std::string &instance) const
	{
		std::vector<std::string> out;
		if (auto found = attached_interfaces(pins(instance)); found)
			for (const AttachedInterface &a : *found)
				if (a.program == "host" && !a.ingress)
					out.push_back(a.ifname);
		return out;
	}

	const std::string root_ = "/run/iplb-test-dp-" + std::to_string(::getpid());
	std::string record_path_;
	int home_ = -1;
};

TEST_F(ManagedDatapath, AnotherInstanceIsFilledAndAttachedBeforeTheOldIsReleased)
{
	HostDatapath datapath;
	ASSERT_TRUE(datapath.apply(config("a")));
	ASSERT_EQ(egress_programs("d0").size(), 1u);
	const uint32_t old_program = egress_programs("d0").front();

	bool filled = false;
	auto applied = datapath.apply(config("b"), [&](RouteTable &table) {
		// Make before break: the old instance still runs while the new
		// one's table is written, and the new one is not attached yet.
		EXPECT_EQ(egress_programs("d0"), std::vector<uint32_t>{old_program});
		EXPECT_TRUE(table.put(route_of({{r1}})));
		filled = true;
	});
	ASSERT_TRUE(applied) << applied.error().message;
	EXPECT_TRUE(filled);

	const auto now = egress_programs("d0");
	ASSERT_EQ(now.size(), 1u) << "one encapsulation, not two";
	EXPECT_NE(now.front(), old_program);
	EXPECT_TRUE(host_links("a").empty()) << "the old instance is released";
	EXPECT_EQ(host_links("b"), std::vector<std::string>{"d0"});
	EXPECT_TRUE(datapath.healthy());
	auto maps = HostMaps::from_pins(pins("b"));
	ASSERT_TRUE(maps);
	EXPECT_TRUE(*maps->route(destination)) << "the new table was filled";

	// And back: the same, the other way.
	ASSERT_TRUE(datapath.apply(config("a")));
	EXPECT_EQ(egress_programs("d0").size(), 1u);
	EXPECT_TRUE(host_links("b").empty());
	EXPECT_EQ(host_links("a"), std::vector<std::string>{"d0"});
}

TEST_F(ManagedDatapath, VanishedPinsAreRestoredAndTheProgramAttachedAgain)
{
	HostDatapath datapath;
	ASSERT_TRUE(datapath.apply(config("a")));
	ASSERT_TRUE(datapath.table()->put(route_of({{r1, r2}})));
	ASSERT_TRUE(datapath.healthy());

	// Someone removes the instance's directory: the links' pins were the
	// only references, so the kernel detaches the program.
	remove_tree(root_ + "/a");
	ASSERT_TRUE(eventually([&] { return egress_programs("d0").empty(); }))
		<< "the premise: nothing encapsulates";

	const auto repaired = datapath.reconcile();
	EXPECT_FALSE(repaired.empty());
	EXPECT_TRUE(datapath.problems().empty()) << datapath.problems().front();
	EXPECT_TRUE(datapath.healthy());
	EXPECT_EQ(egress_programs("d0").size(), 1u) << "running again";
	auto maps = HostMaps::from_pins(pins("a"));
	ASSERT_TRUE(maps) << maps.error().message;
	auto route = maps->route(destination);
	ASSERT_TRUE(route);
	EXPECT_TRUE(*route) << "the same table, pinned again";
	EXPECT_EQ(datapath.repairs(), repaired.size());

	// Nothing left to repair: a second pass changes nothing.
	EXPECT_TRUE(datapath.reconcile().empty());
}

TEST_F(ManagedDatapath, AnUnmountedPinRootIsMountedAndRestored)
{
	HostDatapath datapath;
	ASSERT_TRUE(datapath.apply(config("a")));
	ASSERT_EQ(::umount2(root_.c_str(), MNT_DETACH), 0);
	ASSERT_TRUE(eventually([&] { return egress_programs("d0").empty(); }));

	EXPECT_FALSE(datapath.reconcile().empty());
	EXPECT_TRUE(datapath.healthy());
	EXPECT_EQ(egress_programs("d0").size(), 1u);
	EXPECT_TRUE(HostMaps::from_pins(pins("a")));
}

TEST_F(ManagedDatapath, AReplacedInterfaceIsAttachedAgainAndAMissingOneReported)
{
	HostDatapath datapath;
	ASSERT_TRUE(datapath.apply(config("a")));

	// Gone: a problem, named; not healthy.
	delete_interface("d0");
	EXPECT_TRUE(datapath.reconcile().empty());
	ASSERT_EQ(datapath.problems().size(), 1u);
	EXPECT_EQ(datapath.problems().front(), "interface d0: no such interface");
	EXPECT_FALSE(datapath.healthy());

	// Back (a new interface of the same name): attached again, and the
	// problem is gone with its cause.
	add_interface("d0");
	EXPECT_FALSE(datapath.reconcile().empty());
	EXPECT_TRUE(datapath.problems().empty());
	EXPECT_TRUE(datapath.healthy());
	EXPECT_EQ(egress_programs("d0").size(), 1u);

	// Replaced while the check was not looking: the pin still names a
	// link, but the kernel runs nothing on the new interface.
	delete_interface("d0");
	add_interface("d0");
	ASSERT_TRUE(egress_programs("d0").empty());
	EXPECT_FALSE(datapath.reconcile().empty());
	EXPECT_EQ(egress_programs("d0").size(), 1u);
	EXPECT_TRUE(datapath.healthy());
}

TEST_F(ManagedDatapath, AProblemLeavesWithTheConfigurationThatCausedIt)
{
	HostDatapath datapath;
	EXPECT_FALSE(datapath.apply(config("a", {"d0", "nosuch0"})));
	ASSERT_EQ(datapath.problems().size(), 1u);
	EXPECT_EQ(datapath.problems().front(), "interface nosuch0: no such interface");
	const uint64_t errors = datapath.errors();
	datapath.reconcile();
	EXPECT_EQ(datapath.errors(), errors) << "a lasting fault is counted once";

	ASSERT_TRUE(datapath.apply(config("a", {"d0"})));
	EXPECT_TRUE(datapath.problems().empty());
	EXPECT_TRUE(datapath.healthy());
}

TEST_F(ManagedDatapath, AnotherHostProgramOnTheInterfaceIsAProblem)
{
	HostDatapath datapath;
	ASSERT_TRUE(datapath.apply(config("a")));
	HostDatapath intruder;
	ASSERT_TRUE(intruder.apply(config("x")));
	ASSERT_EQ(egress_programs("d0").size(), 2u);

	datapath.reconcile();
	EXPECT_FALSE(datapath.healthy());
	ASSERT_EQ(datapath.problems().size(), 1u);
	EXPECT_NE(datapath.problems().front().find("another iplb host program"), std::string::npos)
		<< datapath.problems().front();

	intruder.release();
	ASSERT_TRUE(eventually([&] { return egress_programs("d0").size() == 1; }));
	datapath.reconcile();
	EXPECT_TRUE(datapath.healthy());
}

TEST_F(ManagedDatapath, SettingsChangedBehindItsBackAreWrittenAgain)
{
	HostDatapath datapath;
	ASSERT_TRUE(datapath.apply(config("a")));
	auto maps = HostMaps::from_pins(pins("a"));
	ASSERT_TRUE(maps);
	ASSERT_TRUE(maps->set_config({.source = Ipv4{r4}, .source6 = std::nullopt}));

	EXPECT_FALSE(datapath.reconcile().empty());
	EXPECT_EQ(maps->config()->source, Ipv4{source});
}

TEST_F(ManagedDatapath, AnInstanceLeftByACrashIsReleasedOnceTheConfigurationIsLoaded)
{
	{
		HostDatapath crashed{OwnedInstances(record_path_)};
		ASSERT_TRUE(crashed.apply(config("a")));
		crashed.close(); // what a crash leaves: everything pinned, attached
	}
	ASSERT_EQ(egress_programs("d0").size(), 1u);

	// The restarted daemon's configuration has no datapath.
	HostDatapath restarted{OwnedInstances(record_path_)};
	const auto orphans = restarted.orphans();
	ASSERT_EQ(orphans.size(), 1u);
	EXPECT_EQ(orphans.front().instance, "a");
	const auto released = restarted.release_orphans();
	ASSERT_EQ(released.size(), 1u);
	EXPECT_NE(released.front().find("detached from d0"), std::string::npos) << released.front();
	EXPECT_TRUE(eventually([&] { return egress_programs("d0").empty(); }))
		<< "nothing encapsulates with an unowned table";
	EXPECT_TRUE(restarted.orphans().empty());
	auto maps = HostMaps::from_pins(pins("a"));
	ASSERT_TRUE(maps) << "the table itself stays pinned";
	auto lease = maps->owner_lease();
	ASSERT_TRUE(lease);
	EXPECT_FALSE(*lease) << "and has no owner";
}

TEST_F(ManagedDatapath, ARestartWithTheSameConfigurationKeepsItsInstanceAttached)
{
	{
		HostDatapath crashed{OwnedInstances(record_path_)};
		ASSERT_TRUE(crashed.apply(config("a")));
		crashed.close();
	}
	HostDatapath restarted{OwnedInstances(record_path_)};
	ASSERT_TRUE(restarted.apply(config("a")));
	EXPECT_TRUE(restarted.orphans().empty());
	EXPECT_TRUE(restarted.release_orphans().empty());
	EXPECT_EQ(egress_programs("d0").size(), 1u);
	EXPECT_TRUE(restarted.healthy());
}

TEST_F(ManagedDatapath, ATableWhoseOwnerIsGoneStopsEncapsulatingWhenItsLeaseEnds)
{
	HostDatapathConfig c = config("a");
	c.lease = std::chrono::seconds{1};
	{
		HostDatapath owner;
		ASSERT_TRUE(owner.apply(c));
		ASSERT_TRUE(owner.table()->put(route_of({{r1}})));
		// A second renewal a second later: the kernel's HZ is measured.
		::usleep(1'100'000);
		owner.reconcile();
		auto maps = HostMaps::from_pins(pins("a"));
		ASSERT_TRUE(maps);
		auto lease = maps->owner_lease();
		ASSERT_TRUE(lease && *lease);
		EXPECT_FALSE((*lease)->passed(monotonic_now())) << "renewed";
		owner.close(); // a daemon that stops and never comes back
	}
	// The same pinned table, run on a packet: encapsulated while the lease
	// runs, left alone (and counted) once it has passed.
	auto program = HostProgram::open(pins("a"));
	ASSERT_TRUE(program) << program.error().message;
	const Bytes frame = ethernet(udp_packet(udp_spec()));
	const auto closed = monotonic_now();
	auto before = test_run(program->prog_fd(), frame);
	ASSERT_TRUE(before);
	EXPECT_EQ(before->frame.size(), frame.size() + 20) << "encapsulated";
	ASSERT_TRUE(eventually([&] {
		auto out = test_run(program->prog_fd(), frame);
		return out && out->frame == frame;
	})) << "still encapsulating 2 s after a 1 s lease";
	EXPECT_GT(monotonic_now() - closed, std::chrono::milliseconds{800}) << "not before";
	auto route = program->maps().route(destination);
	ASSERT_TRUE(route && *route);
	EXPECT_EQ(program->maps().route_counters((*route)->id)->bypass[IPLB_BYPASS_STALE], 1u);
}

TEST(OwnedInstances, AMalformedRecordIsAnErrorNotNothing)
{
	const std::string path = "/tmp/iplb-test-bad-record-" + std::to_string(::getpid());
	{
		std::ofstream(path) << "only-one-field\n";
	}
	auto refs = OwnedInstances(path).load();
	EXPECT_FALSE(refs);
	::unlink(path.c_str());
	auto none = OwnedInstances(path).load();
	ASSERT_TRUE(none);
	EXPECT_TRUE(none->empty());
}

} // namespace
} // namespace iplb
