// SPDX-License-Identifier: GPL-2.0-or-later
// The SRv6 backend: iplb's table (destination prefix -> relay lists) as
// native kernel routes, no eBPF. A prefix is one IPv4 multipath route whose
// nexthops each carry a seg6 encapsulation (mode encap: outer IPv6 header +
// SRH), the segment list being the relays' SIDs; a relay's SIDs are seg6local
// routes (End, End.DX4, End.DX6). Everything goes over rtnetlink (libnl-3's
// core: libnl-route-3 knows nothing of seg6), so it works on the kernel of
// the caller's network namespace. See docs/SRV6.md.
//
// Every route and SID iplb installs has rtm_protocol seg6_protocol (200):
// dumps list only those, deletes remove only those.
#pragma once

#include "table/route_spec.hpp"
#include "util/ipv4.hpp"
#include "util/ipv6.hpp"
#include "util/prefix.hpp"
#include "util/result.hpp"
#include "util/status.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct nl_msg;
struct nl_sock;
struct nlmsghdr;

namespace iplb {

// rtm_protocol of iplb's routes and SIDs (`ip route show proto 200`). Not
// assigned by iproute2's rt_protos (which names 186-194 and up to 99), and
// not one of FRR's (zebra's are 186-196, RTPROT_ZEBRA 11).
inline constexpr uint8_t seg6_protocol = 200;
// Where `Seg6Routes::probe()` tries a SID: a table of iplb's own ("iplb").
inline constexpr uint32_t seg6_probe_table = 0x69706c62;
inline constexpr uint32_t seg6_main_table = 254; // RT_TABLE_MAIN
// What a kernel without SRv6 lightweight tunnels is told by, and why.
inline constexpr std::string_view seg6_unsupported =
	"this kernel has no SRv6 lightweight tunnels (seg6 and seg6local routes: "
	"CONFIG_IPV6_SEG6_LWTUNNEL, see docs/SRV6.md)";
inline constexpr size_t seg6_max_paths = max_lists_per_route; // as the eBPF table
inline constexpr size_t seg6_max_segments = max_relays_per_list;

struct Seg6Path {
	std::vector<Ipv6> segments; // first hop first, as `ip route ... segs` takes them
	uint8_t weight = 1;	    // 1-255 (rtnh_hops + 1)

	friend bool operator==(const Seg6Path &, const Seg6Path &) = default;
};

struct Seg6Route {
	Ipv4Prefix prefix;
	std::vector<Seg6Path> paths;
	// Every nexthop's device. seg6 routes the encapsulated packet again by
	// its outer IPv6 destination (the first segment), so this is only
	// where the IPv4 route points: an interface that is up.
	std::string dev;

	friend bool operator==(const Seg6Route &, const Seg6Route &) = default;
};

enum class Seg6Action { end, end_dx4, end_dx6 };
std::string_view to_string(Seg6Action action);
// "end", "end.dx4", "end.dx6" (iproute2's End, End.DX4, End.DX6 also).
Result<Seg6Action, Error> parse_seg6_action(std::string_view text);

// SEG6_LOCAL_COUNTERS: what reached the SID (whole IPv6 packets, bytes as
// received), and what its behaviour dropped.
struct Seg6Counters {
	uint64_t packets = 0;
	uint64_t bytes = 0;
	uint64_t errors = 0;

	friend bool operator==(const Seg6Counters &, const Seg6Counters &) = default;
};

struct Seg6Sid {
	Ipv6 sid;
	Seg6Action action = Seg6Action::end;
	// End.DX4 / End.DX6: where the decapsulated packet goes. 0.0.0.0 / ::
	// (the default) make the kernel route it by its own destination (as
	// End.DT4 in the main table would; verified by tests/datapath).
	Ipv4 nh4;
	Ipv6 nh6;
	std::string dev; // the route's device: any interface that is up
	bool count = true;
	// Only from sids(), when the SID counts.
	std::optional<Seg6Counters> counters;

	friend bool operator==(const Seg6Sid &, const Seg6Sid &) = default;
};

// Refused before anything reaches the kernel: 1-16 paths of 1-8 segments,
// weights 1-255, no list twice, segments that can be a SID (not ::, ::1 or
// multicast), a device name.
Status validate(const Seg6Route &route);
// A SID that can be one, nh4 only for End.DX4, nh6 only for End.DX6, a device.
Status validate(const Seg6Sid &sid);

// struct ipv6_sr_hdr for a segment list given first hop first: segments in
// reverse order (segments[0] is the last), first_segment = segments_left =
// n - 1, hdrlen 2n, type 4 (Segment Routing), nexthdr 0 (the kernel fills
// it), no flags, no tag, no TLV.
std::vector<uint8_t> encode_srh(std::span<const Ipv6> segments);
// The segment list of an SRH, first hop first.
Result<std::vector<Ipv6>, Error> decode_srh(std::span<const uint8_t> srh);

// The rtnetlink messages, built and read without a socket (the unit tests
// do both). Requests carry no sequence number or port id yet.
namespace seg6_netlink {

struct MessageFree {
	void operator()(nl_msg *message) const;
};
using Message = std::unique_ptr<nl_msg, MessageFree>;

// RTM_NEWROUTE / RTM_DELROUTE of an IPv4 route in the main table: one
// RTA_MULTIPATH, a struct rtnexthop per path (ifindex, weight - 1) holding
// RTA_ENCAP_TYPE = LWTUNNEL_ENCAP_SEG6 and RTA_ENCAP { SEG6_IPTUNNEL_SRH =
// struct seg6_iptunnel_encap { SEG6_IPTUN_MODE_ENCAP, SRH } }. flags are
// NLM_F_* beyond NLM_F_REQUEST. A deletion carries the prefix and protocol
// only.
Result<Message, Error> route_request(int type, int flags, const Seg6Route &route, int ifindex);
// RTM_GETROUTE dump of one family.
Result<Message, Error> dump_request(int family);
// RTM_NEWROUTE / RTM_DELROUTE of the /128 route of a SID:
// RTA_ENCAP_TYPE = LWTUNNEL_ENCAP_SEG6_LOCAL, RTA_ENCAP { SEG6_LOCAL_ACTION,
// SEG6_LOCAL_NH4 | SEG6_LOCAL_NH6, SEG6_LOCAL_COUNTERS (empty: "count") }, in
// the main table unless `table` says another (beyond 255: as RTA_TABLE).
Result<Message, Error> sid_request(int type, int flags, const Seg6Sid &sid, int ifindex,
				   uint32_t table = seg6_main_table);

nlmsghdr *header(const Message &message);

using IfName = std::function<std::string(int ifindex)>;
// A route message (RTM_NEWROUTE, as dumps send them) read back: nullopt
// when it is not one of iplb's (another protocol, table or family).
Result<std::optional<Seg6Route>, Error> parse_route(const nlmsghdr *message, const IfName &ifname);
Result<std::optional<Seg6Sid>, Error> parse_sid(const nlmsghdr *message, const IfName &ifname);
// A request the kernel refused: its errno, and strerror() followed by the
// kernel's extended ack message when it sent one.
struct Refusal {
	int code = 0;
	std::string text;
};
// An NLMSG_ERROR: nullopt for an ack (error 0).
std::optional<Refusal> parse_error(const nlmsghdr *message);

} // namespace seg6_netlink

// A NETLINK_ROUTE socket in the caller's network namespace, and iplb's
// seg6 routes and SIDs in the main table through it.
class Seg6Routes {
public:
	static Result<Seg6Routes, Error> open();

	// A new prefix: refused if the main table has a route for it already.
	Status add(const Seg6Route &route);
	// One RTM_NEWROUTE with NLM_F_CREATE | NLM_F_REPLACE: a lookup sees the
	// old route or the new one, whole (make-before-break). Refused if the
	// prefix's route is not iplb's.
	Status replace(const Seg6Route &route);
	Status remove(const Ipv4Prefix &prefix);
	Result<std::vector<Seg6Route>, Error> routes();

	// Whether this kernel has SRv6 lightweight tunnels: an error naming
	// what it lacks if not. Needs CAP_NET_ADMIN and lo up (IPv6 takes no
	// route through a device that is down); changes no table a route lookup
	// uses. A refusal of EOPNOTSUPP by any call below names it too.
	Status probe();

	// Without counters if the kernel refuses SEG6_LOCAL_COUNTERS (< 5.14).
	Status add_sid(const Seg6Sid &sid);
	Status remove_sid(const Ipv6 &sid);
	Result<std::vector<Seg6Sid>, Error> sids();

private:
	struct SocketFree {
		void operator()(nl_sock *socket) const;
	};
	explicit Seg6Routes(std::unique_ptr<nl_sock, SocketFree> socket)
	    : socket_(std::move(socket))
	{
	}

	// Sends a request with NLM_F_ACK and waits for the kernel's answer:
	// an error if there was none, else nullopt (done) or its refusal.
	Result<std::optional<seg6_netlink::Refusal>, Error> transact(seg6_netlink::Message message);
	// The same, a refusal being an error "<what>: <reason>".
	Status execute(seg6_netlink::Message message, const std::string &what);
	// Sends a dump request; hands each answer message to each.
	Status dump(int family, const std::function<Status(const nlmsghdr *)> &each);
	Result<std::optional<uint8_t>, Error> owner_of(const Ipv4Prefix &prefix);

	std::unique_ptr<nl_sock, SocketFree> socket_;
};

} // namespace iplb
