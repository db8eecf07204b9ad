// SPDX-License-Identifier: GPL-2.0-or-later
// The mux plane: which VIPs are in zebra, and why the others are not.
#include "roles/mux_plane.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace iplb {
namespace {

IpPrefix vip(const char *text)
{
	return *parse_ip_prefix(text);
}

// A zebra that records what it was sent; `up` false refuses everything.
struct FakeZebra {
	bool up = true;
	std::vector<std::pair<std::string, bool>> sent;

	VipAnnouncer announcer()
	{
		return [this](const IpPrefix &prefix, bool announce) {
			if (!up)
				return false;
			sent.emplace_back(to_string(prefix), announce);
			return true;
		};
	}
};

TEST(MuxPlane, AdvertisesOnlyUnderRoleMuxUndrainedWithAHealthyDatapath)
{
	FakeZebra zebra;
	MuxPlane mux;
	mux.set_announcer(zebra.announcer());
	ASSERT_TRUE(mux.set_vip(vip("10.99.0.1/32"), false));
	EXPECT_FALSE(mux.advertised(vip("10.99.0.1/32")));
	EXPECT_EQ(mux.blocker(vip("10.99.0.1/32")), "role is host");
	EXPECT_TRUE(zebra.sent.empty());

	mux.set_role(Role::mux);
	EXPECT_TRUE(mux.advertised(vip("10.99.0.1/32")));
	EXPECT_EQ(mux.blocker(vip("10.99.0.1/32")), std::nullopt);

	mux.set_datapath_healthy(false);
	EXPECT_FALSE(mux.advertised(vip("10.99.0.1/32")));
	EXPECT_EQ(mux.blocker(vip("10.99.0.1/32")), "datapath not healthy");
	mux.set_datapath_healthy(true);
	ASSERT_TRUE(mux.set_vip(vip("10.99.0.1/32"), true));
	EXPECT_EQ(mux.blocker(vip("10.99.0.1/32")), "drained");
	mux.set_role(Role::backend);
	EXPECT_EQ(mux.blocker(vip("10.99.0.1/32")), "drained") << "drain is said first";
	ASSERT_TRUE(mux.set_vip(vip("10.99.0.1/32"), false));
	EXPECT_EQ(mux.blocker(vip("10.99.0.1/32")), "role is backend");

	using Sent = std::vector<std::pair<std::string, bool>>;
	EXPECT_EQ(zebra.sent, (Sent{{"10.99.0.1/32", true},
				    {"10.99.0.1/32", false},
				    {"10.99.0.1/32", true},
				    {"10.99.0.1/32", false}}));
}

TEST(MuxPlane, RefusesWhatIsNotAHostRouteAndChangesNothing)
{
	MuxPlane mux;
	auto refused = mux.set_vip(vip("10.99.0.0/24"), false);
	ASSERT_FALSE(refused);
	EXPECT_EQ(refused.error().message, "VIP 10.99.0.0/24: an IPv4 /32 or an IPv6 /128 only");
	EXPECT_FALSE(mux.set_vip(vip("fc00::/64"), false));
	EXPECT_TRUE(mux.set_vip(vip("fc00::1/128"), false));
	ASSERT_EQ(mux.vips(true).size(), 1u);
	EXPECT_EQ(to_string(mux.vips(true).front().prefix), "fc00::1/128");
}

TEST(MuxPlane, RefusesAddressesNoOneCanReachAndChangesNothing)
{
	FakeZebra zebra;
	MuxPlane mux;
	mux.set_announcer(zebra.announcer());
	mux.set_role(Role::mux);
	const std::pair<const char *, const char *> refused[] = {
		{"0.0.0.0/32", "VIP 0.0.0.0/32: the unspecified address cannot be a VIP"},
		{"0.1.2.3/32",
		 "VIP 0.1.2.3/32: a 'this network' address (0.0.0.0/8) cannot be a VIP"},
		{"127.0.0.1/32", "VIP 127.0.0.1/32: a loopback address cannot be a VIP"},
		{"127.9.9.9/32", "VIP 127.9.9.9/32: a loopback address cannot be a VIP"},
		{"169.254.1.1/32", "VIP 169.254.1.1/32: a link-local address cannot be a VIP"},
		{"224.1.1.1/32", "VIP 224.1.1.1/32: a multicast address cannot be a VIP"},
		{"239.255.255.255/32",
		 "VIP 239.255.255.255/32: a multicast address cannot be a VIP"},
		{"240.0.0.1/32",
		 "VIP 240.0.0.1/32: a reserved address (240.0.0.0/4) cannot be a VIP"},
		{"255.255.255.255/32",
		 "VIP 255.255.255.255/32: the broadcast address cannot be a VIP"},
		{"::/128", "VIP ::/128: the unspecified address cannot be a VIP"},
		{"::1/128", "VIP ::1/128: a loopback address cannot be a VIP"},
		{"fe80::1/128", "VIP fe80::1/128: a link-local address cannot be a VIP"},
		{"ff02::1/128", "VIP ff02::1/128: a multicast address cannot be a VIP"},
		{"::ffff:10.0.0.1/128",
		 "VIP ::ffff:10.0.0.1/128: an IPv4-mapped address cannot be a VIP"},
	};
	for (const auto &[text, message] : refused) {
		auto set = mux.set_vip(vip(text), false);
		ASSERT_FALSE(set) << text;
		EXPECT_EQ(set.error().message, message);
		EXPECT_FALSE(MuxPlane::check_vip(vip(text))) << text;
	}
	EXPECT_TRUE(mux.vips(true).empty());
	EXPECT_TRUE(zebra.sent.empty());
	// Their neighbours are ordinary addresses.
	for (const char *text :
	     {"1.0.0.0/32", "126.255.255.255/32", "128.0.0.1/32", "169.253.255.255/32",
	      "223.255.255.255/32", "fc00::1/128", "fec0::1/128", "2001:db8::1/128", "::2/128"})
		EXPECT_TRUE(MuxPlane::check_vip(vip(text))) << text;
}

TEST(MuxPlane, AVipZebraCouldNotTakeGoesWithTheNextSession)
{
	FakeZebra zebra;
	zebra.up = false;
	MuxPlane mux;
	mux.set_announcer(zebra.announcer());
	mux.set_role(Role::mux);
	ASSERT_TRUE(mux.set_vip(vip("10.99.0.1/32"), false));
	EXPECT_FALSE(mux.advertised(vip("10.99.0.1/32")));
	auto views = mux.vips(false);
	ASSERT_EQ(views.size(), 1u);
	EXPECT_EQ(views[0].reason, "zebra not connected");
	EXPECT_EQ(mux.vips(true)[0].reason, "zebra refused the route");

	zebra.up = true;
	mux.zebra_connected();
	EXPECT_TRUE(mux.advertised(vip("10.99.0.1/32")));
	EXPECT_TRUE(mux.vips(true)[0].advertised);
	EXPECT_EQ(mux.vips(true)[0].reason, "");

	// A new zebra holds none of our routes: announced again.
	zebra.sent.clear();
	mux.zebra_connected();
	EXPECT_EQ(zebra.sent.size(), 1u);
}

TEST(MuxPlane, RemovingWithdrawsWhatWasAdvertisedOnly)
{
	FakeZebra zebra;
	MuxPlane mux;
	mux.set_announcer(zebra.announcer());
	mux.set_role(Role::mux);
	ASSERT_TRUE(mux.set_vip(vip("10.99.0.1/32"), false));
	ASSERT_TRUE(mux.set_vip(vip("10.99.0.2/32"), true));
	zebra.sent.clear();
	mux.remove_vip(vip("10.99.0.2/32")); // drained: nothing to withdraw
	EXPECT_TRUE(zebra.sent.empty());
	mux.remove_all("router iplb removed");
	using Sent = std::vector<std::pair<std::string, bool>>;
	EXPECT_EQ(zebra.sent, (Sent{{"10.99.0.1/32", false}}));
	EXPECT_TRUE(mux.vips(true).empty());
	EXPECT_FALSE(mux.advertised(vip("10.99.0.1/32")));
}

// etcd's VIPs (the mux's agent serves them) are announced as configured
// ones are, and a configured VIP outlives its leaving etcd's set (and the
// other way round).
TEST(MuxPlane, EtcdVipsJoinAndLeaveBesideConfiguredOnes)
{
	FakeZebra zebra;
	MuxPlane mux;
	mux.set_announcer(zebra.announcer());
	mux.set_role(Role::mux);
	ASSERT_TRUE(mux.set_vip(vip("10.99.0.1/32"), false));
	mux.set_etcd_vips({vip("10.99.0.1/32"), vip("192.0.2.10/32"), vip("2001:db8::10/128")});
	EXPECT_TRUE(mux.advertised(vip("192.0.2.10/32")));
	EXPECT_TRUE(mux.advertised(vip("2001:db8::10/128")));
	auto views = mux.vips(true);
	ASSERT_EQ(views.size(), 3u);
	EXPECT_TRUE(views[0].etcd) << to_string(views[0].prefix);

	mux.set_datapath_healthy(false);
	EXPECT_FALSE(mux.advertised(vip("192.0.2.10/32")));
	EXPECT_EQ(mux.blocker(vip("192.0.2.10/32")), "datapath not healthy");
	mux.set_datapath_healthy(true);

	// Leaves etcd's set: withdrawn and forgotten; the configured one stays.
	mux.set_etcd_vips({vip("192.0.2.10/32")});
	EXPECT_FALSE(mux.advertised(vip("2001:db8::10/128")));
	EXPECT_TRUE(mux.advertised(vip("10.99.0.1/32")));
	EXPECT_EQ(mux.vips(true).size(), 2u);
	// Removed from the configuration while etcd's: it stays announced.
	mux.set_etcd_vips({vip("192.0.2.10/32"), vip("10.99.0.1/32")});
	mux.remove_vip(vip("10.99.0.1/32"));
	EXPECT_TRUE(mux.advertised(vip("10.99.0.1/32")));
	mux.set_etcd_vips({});
	EXPECT_TRUE(mux.vips(true).empty());
	EXPECT_EQ(zebra.sent.back(), std::make_pair(std::string("192.0.2.10/32"), false))
		<< "every etcd VIP withdrawn";
	// An address that cannot be a VIP is never announced.
	mux.set_etcd_vips({vip("127.0.0.1/32")});
	EXPECT_TRUE(mux.vips(true).empty());
}

} // namespace
} // namespace iplb
