// SPDX-License-Identifier: GPL-2.0-or-later
#include "netlink/seg6_routes.hpp"

#include "util/enum_names.hpp"

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <arpa/inet.h>
#include <linux/lwtunnel.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/seg6.h>
#include <linux/seg6_iptunnel.h>
#include <linux/seg6_local.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>

namespace iplb {
namespace {

constexpr EnumNames<Seg6Action, 3> action_names{"SRv6 action",
						{{{Seg6Action::end, "end"},
						  {Seg6Action::end_dx4, "end.dx4"},
						  {Seg6Action::end_dx6, "end.dx6"}}}};

constexpr uint8_t srh_type = 4; // IPV6_SRCRT_TYPE_4, kernel-internal
constexpr size_t srh_fixed = sizeof(ipv6_sr_hdr);

std::string list_text(const std::vector<Ipv6> &segments)
{
	std::string out;
	for (const Ipv6 &s : segments)
		out += (out.empty() ? "" : ",") + to_string(s);
	return out;
}

Status check_sid_address(const Ipv6 &address, const std::string &what)
{
	if (address.is_unspecified() || address.is_loopback() || address.is_multicast())
		return unexpected(Error{what + " " + to_string(address) +
					" cannot be a SID (unspecified, loopback or multicast)"});
	return ok();
}

Status check_dev(const std::string &dev)
{
	if (dev.empty())
		return unexpected(Error{"a device is needed (dev DEV)"});
	if (dev.size() >= IFNAMSIZ || dev.find_first_of("/ \t\n") != std::string::npos)
		return unexpected(Error{"'" + dev + "' is not an interface name"});
	return ok();
}

uint32_t action_code(Seg6Action action)
{
	switch (action) {
	case Seg6Action::end_dx4:
		return SEG6_LOCAL_ACTION_END_DX4;
	case Seg6Action::end_dx6:
		return SEG6_LOCAL_ACTION_END_DX6;
	case Seg6Action::end:
		break;
	}
	return SEG6_LOCAL_ACTION_END;
}

} // namespace

std::string_view to_string(Seg6Action action)
{
	return action_names.name(action);
}

Result<Seg6Action, Error> parse_seg6_action(std::string_view text)
{
	std::string lower(text);
	std::transform(lower.begin(), lower.end(), lower.begin(),
		       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
	return action_names.parse(lower);
}

Status validate(const Seg6Route &route)
{
	if (route.prefix.length > 32 ||
	    (route.prefix.address.value & ~Ipv4Prefix::mask_of(route.prefix.length)) != 0)
		return unexpected(Error{"bad prefix " + to_string(route.prefix)});
	if (route.paths.empty() || route.paths.size() > seg6_max_paths)
		return unexpected(Error{"a prefix needs 1 to " + std::to_string(seg6_max_paths) +
					" segment lists, not " +
					std::to_string(route.paths.size())});
	std::set<std::vector<Ipv6>> seen;
	for (size_t i = 0; i < route.paths.size(); i++) {
		const Seg6Path &path = route.paths[i];
		const std::string which = "segment list " + std::to_string(i + 1);
		if (path.segments.empty() || path.segments.size() > seg6_max_segments)
			return unexpected(
				Error{which + " has " + std::to_string(path.segments.size()) +
				      " segments: 1 to " + std::to_string(seg6_max_segments) +
				      " are possible"});
		for (const Ipv6 &segment : path.segments)
			if (auto s = check_sid_address(segment, "segment"); !s)
				return unexpected(Error{which + ": " + s.error().message});
		if (path.weight == 0)
			return unexpected(Error{which + ": weight must be 1-255, not 0"});
		if (!seen.insert(path.segments).second)
			return unexpected(Error{"segment list " + list_text(path.segments) +
						" is given twice"});
	}
	return check_dev(route.dev);
}

Status validate(const Seg6Sid &sid)
{
	if (auto s = check_sid_address(sid.sid, "address"); !s)
		return s;
	if (sid.nh4 != Ipv4{} && sid.action != Seg6Action::end_dx4)
		return unexpected(Error{"nh4 is for action end.dx4 only"});
	if (!sid.nh6.is_unspecified() && sid.action != Seg6Action::end_dx6)
		return unexpected(Error{"nh6 is for action end.dx6 only"});
	if (sid.nh6.is_multicast())
		return unexpected(Error{"nh6 " + to_string(sid.nh6) + " is a multicast address"});
	return check_dev(sid.dev);
}

std::vector<uint8_t> encode_srh(std::span<const Ipv6> segments)
{
	const size_t n = segments.size();
	std::vector<uint8_t> out(srh_fixed + 16 * n, 0);
	out[0] = 0;			      // nexthdr: the kernel fills it
	out[1] = static_cast<uint8_t>(2 * n); // 8-octet units after the first 8
	out[2] = srh_type;		      // Segment Routing Header
	out[3] = static_cast<uint8_t>(n - 1); // segments_left
	out[4] = static_cast<uint8_t>(n - 1); // first_segment (last entry)
	for (size_t i = 0; i < n; i++)	      // flags, tag: 0
		std::memcpy(&out[srh_fixed + 16 * i], segments[n - 1 - i].bytes.data(), 16);
	return out;
}

Result<std::vector<Ipv6>, Error> decode_srh(std::span<const uint8_t> srh)
{
	if (srh.size() < srh_fixed || srh[2] != srh_type || (size_t{srh[1]} + 1) * 8 != srh.size())
		return unexpected(Error{"not a segment routing header"});
	const size_t n = size_t{srh[4]} + 1;
	if (srh_fixed + 16 * n > srh.size())
		return unexpected(Error{"segment routing header shorter than its segments"});
	std::vector<Ipv6> segments(n);
	for (size_t i = 0; i < n; i++)
		std::memcpy(segments[n - 1 - i].bytes.data(), &srh[srh_fixed + 16 * i], 16);
	return segments;
}

namespace seg6_netlink {
namespace {

Status put(int rc)
{
	if (rc < 0)
		return unexpected(
			Error{std::string("cannot build netlink message: ") + nl_geterror(rc)});
	return ok();
}

// Nesting by offsets, not libnl's nla_nest_*: RTA_MULTIPATH is an array of
// struct rtnexthop, not attributes, and its header must not say
// NLA_F_NESTED. Offsets also stay right however libnl keeps the buffer.
size_t tail(nl_msg *msg)
{
	return nlmsg_hdr(msg)->nlmsg_len;
}

Result<size_t, Error> begin_attr(nl_msg *msg, int type)
{
	const size_t at = tail(msg);
	if (auto s = put(nla_put(msg, type, 0, nullptr)); !s)
		return unexpected(s.error());
	return at;
}

void end_attr(nl_msg *msg, size_t at)
{
	auto *base = reinterpret_cast<uint8_t *>(nlmsg_hdr(msg));
	auto *attr = reinterpret_cast<nlattr *>(base + at);
	attr->nla_len = static_cast<uint16_t>(tail(msg) - at);
}

Result<Message, Error> new_message(int type, int flags, const rtmsg &header)
{
	Message msg(nlmsg_alloc_simple(type, flags));
	if (!msg)
		return unexpected(Error{"cannot allocate a netlink message"});
	rtmsg copy = header;
	if (auto s = put(nlmsg_append(msg.get(), &copy, sizeof copy, NLMSG_ALIGNTO)); !s)
		return unexpected(s.error());
	return msg;
}

Status put_seg6_encap(nl_msg *msg, const Seg6Path &path)
{
	if (auto s = put(nla_put_u16(msg, RTA_ENCAP_TYPE, LWTUNNEL_ENCAP_SEG6)); !s)
		return s;
	auto encap = begin_attr(msg, RTA_ENCAP | NLA_F_NESTED);
	if (!encap)
		return unexpected(encap.error());
	// struct seg6_iptunnel_encap: int mode, then the SRH.
	const std::vector<uint8_t> srh = encode_srh(path.segments);
	std::vector<uint8_t> tunnel(sizeof(seg6_iptunnel_encap) + srh.size());
	const int mode = SEG6_IPTUN_MODE_ENCAP;
	std::memcpy(tunnel.data(), &mode, sizeof mode);
	std::memcpy(tunnel.data() + sizeof(seg6_iptunnel_encap), srh.data(), srh.size());
	if (auto s = put(nla_put(msg, SEG6_IPTUNNEL_SRH, static_cast<int>(tunnel.size()),
				 tunnel.data()));
	    !s)
		return s;
	end_attr(msg, *encap);
	return ok();
}

// An attribute's payload as bytes.
std::span<const uint8_t> payload(const nlattr *attr)
{
	return {static_cast<const uint8_t *>(nla_data(attr)), static_cast<size_t>(nla_len(attr))};
}

Result<Seg6Path, Error> parse_seg6_encap(nlattr *type, nlattr *encap)
{
	if (!type || !encap || nla_len(type) < 2 || nla_get_u16(type) != LWTUNNEL_ENCAP_SEG6)
		return unexpected(Error{"a nexthop without seg6 encapsulation"});
	nlattr *tb[SEG6_IPTUNNEL_MAX + 1] = {};
	if (nla_parse_nested(tb, SEG6_IPTUNNEL_MAX, encap, nullptr) < 0 || !tb[SEG6_IPTUNNEL_SRH])
		return unexpected(Error{"a seg6 encapsulation without SRH"});
	const auto bytes = payload(tb[SEG6_IPTUNNEL_SRH]);
	if (bytes.size() < sizeof(seg6_iptunnel_encap))
		return unexpected(Error{"a truncated seg6 encapsulation"});
	int mode = 0;
	std::memcpy(&mode, bytes.data(), sizeof mode);
	if (mode != SEG6_IPTUN_MODE_ENCAP)
		return unexpected(Error{"a seg6 encapsulation in mode " + std::to_string(mode) +
					", not encap"});
	auto segments = decode_srh(bytes.subspan(sizeof(seg6_iptunnel_encap)));
	if (!segments)
		return unexpected(segments.error());
	return Seg6Path{.segments = std::move(*segments)};
}

// The parts of a route message that say whose it is.
struct RouteHead {
	const rtmsg *rtm = nullptr;
	uint32_t table = 0;
	uint32_t priority = 0;
};

Result<std::optional<RouteHead>, Error> route_head(const nlmsghdr *message, nlattr **tb)
{
	auto *nlh = const_cast<nlmsghdr *>(message);
	if (message->nlmsg_type != RTM_NEWROUTE)
		return std::optional<RouteHead>{};
	if (nlmsg_parse(nlh, sizeof(rtmsg), tb, RTA_MAX, nullptr) < 0)
		return unexpected(Error{"a malformed route message"});
	RouteHead head;
	head.rtm = static_cast<const rtmsg *>(nlmsg_data(nlh));
	head.table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : head.rtm->rtm_table;
	head.priority = tb[RTA_PRIORITY] ? nla_get_u32(tb[RTA_PRIORITY]) : 0;
	return std::optional(head);
}

} // namespace

void MessageFree::operator()(nl_msg *message) const
{
	nlmsg_free(message);
}

nlmsghdr *header(const Message &message)
{
	return nlmsg_hdr(message.get());
}

Result<Message, Error> route_request(int type, int flags, const Seg6Route &route, int ifindex)
{
	rtmsg rtm{};
	rtm.rtm_family = AF_INET;
	rtm.rtm_dst_len = route.prefix.length;
	rtm.rtm_table = RT_TABLE_MAIN;
	rtm.rtm_protocol = seg6_protocol;
	rtm.rtm_type = RTN_UNICAST;
	// iproute2's choices: any scope matches on deletion; nexthops without
	// gateways in a multipath route keep scope universe.
	rtm.rtm_scope = type == RTM_DELROUTE ? RT_SCOPE_NOWHERE : RT_SCOPE_UNIVERSE;
	auto msg = new_message(type, flags, rtm);
	if (!msg)
		return msg;
	nl_msg *m = msg->get();
	const uint32_t dst = htonl(route.prefix.address.value);
	if (auto s = put(nla_put(m, RTA_DST, sizeof dst, &dst)); !s)
		return unexpected(s.error());
	if (type == RTM_DELROUTE)
		return msg;
	auto multipath = begin_attr(m, RTA_MULTIPATH);
	if (!multipath)
		return unexpected(multipath.error());
	for (const Seg6Path &path : route.paths) {
		const size_t at = tail(m);
		auto *nh =
			static_cast<rtnexthop *>(nlmsg_reserve(m, sizeof(rtnexthop), NLA_ALIGNTO));
		if (!nh)
			return unexpected(Error{"cannot build netlink message: too many paths"});
		nh->rtnh_flags = 0;
		nh->rtnh_hops = static_cast<uint8_t>(path.weight - 1);
		nh->rtnh_ifindex = ifindex;
		if (auto s = put_seg6_encap(m, path); !s)
			return unexpected(s.error());
		auto *base = reinterpret_cast<uint8_t *>(nlmsg_hdr(m));
		reinterpret_cast<rtnexthop *>(base + at)->rtnh_len =
			static_cast<unsigned short>(tail(m) - at);
	}
	end_attr(m, *multipath);
	return msg;
}

Result<Message, Error> dump_request(int family)
{
	rtmsg rtm{};
	rtm.rtm_family = static_cast<unsigned char>(family);
	return new_message(RTM_GETROUTE, NLM_F_DUMP, rtm);
}

Result<Message, Error> sid_request(int type, int flags, const Seg6Sid &sid, int ifindex,
				   uint32_t table)
{
	rtmsg rtm{};
	rtm.rtm_family = AF_INET6;
	rtm.rtm_dst_len = 128;
	// Tables beyond 255 are named by RTA_TABLE only (as iproute2 does).
	rtm.rtm_table = static_cast<uint8_t>(table <= 255 ? table : RT_TABLE_UNSPEC);
	rtm.rtm_protocol = seg6_protocol;
	rtm.rtm_type = RTN_UNICAST;
	rtm.rtm_scope = RT_SCOPE_UNIVERSE;
	auto msg = new_message(type, flags, rtm);
	if (!msg)
		return msg;
	nl_msg *m = msg->get();
	if (table > 255)
		if (auto s = put(nla_put_u32(m, RTA_TABLE, table)); !s)
			return unexpected(s.error());
	if (auto s = put(nla_put(m, RTA_DST, 16, sid.sid.bytes.data())); !s)
		return unexpected(s.error());
	if (type == RTM_DELROUTE)
		return msg;
	if (auto s = put(nla_put_u32(m, RTA_OIF, static_cast<uint32_t>(ifindex))); !s)
		return unexpected(s.error());
	if (auto s = put(nla_put_u16(m, RTA_ENCAP_TYPE, LWTUNNEL_ENCAP_SEG6_LOCAL)); !s)
		return unexpected(s.error());
	auto encap = begin_attr(m, RTA_ENCAP | NLA_F_NESTED);
	if (!encap)
		return unexpected(encap.error());
	if (auto s = put(nla_put_u32(m, SEG6_LOCAL_ACTION, action_code(sid.action))); !s)
		return unexpected(s.error());
	// End.DX4 / End.DX6 require their next hop attribute; 0 means "the
	// inner destination".
	if (sid.action == Seg6Action::end_dx4) {
		const uint32_t nh4 = htonl(sid.nh4.value);
		if (auto s = put(nla_put(m, SEG6_LOCAL_NH4, sizeof nh4, &nh4)); !s)
			return unexpected(s.error());
	} else if (sid.action == Seg6Action::end_dx6) {
		if (auto s = put(nla_put(m, SEG6_LOCAL_NH6, 16, sid.nh6.bytes.data())); !s)
			return unexpected(s.error());
	}
	if (sid.count) {
		// The nest turns the counters on (iproute2's "count"). The kernel
		// wants all three in it, zero, or refuses with a bare EINVAL.
		auto counters = begin_attr(m, SEG6_LOCAL_COUNTERS | NLA_F_NESTED);
		if (!counters)
			return unexpected(counters.error());
		for (int counter :
		     {SEG6_LOCAL_CNT_PACKETS, SEG6_LOCAL_CNT_BYTES, SEG6_LOCAL_CNT_ERRORS})
			if (auto s = put(nla_put_u64(m, counter, 0)); !s)
				return unexpected(s.error());
		end_attr(m, *counters);
	}
	end_attr(m, *encap);
	return msg;
}

Result<std::optional<Seg6Route>, Error> parse_route(const nlmsghdr *message, const IfName &ifname)
{
	nlattr *tb[RTA_MAX + 1] = {};
	auto head = route_head(message, tb);
	if (!head)
		return unexpected(head.error());
	if (!*head)
		return std::optional<Seg6Route>{};
	const rtmsg *rtm = (*head)->rtm;
	if (rtm->rtm_family != AF_INET || rtm->rtm_protocol != seg6_protocol ||
	    (*head)->table != RT_TABLE_MAIN || rtm->rtm_type != RTN_UNICAST)
		return std::optional<Seg6Route>{};
	Seg6Route route;
	uint32_t dst = 0;
	if (tb[RTA_DST] && nla_len(tb[RTA_DST]) == 4)
		std::memcpy(&dst, nla_data(tb[RTA_DST]), 4);
	route.prefix = {Ipv4{ntohl(dst)}, rtm->rtm_dst_len};
	const auto fail = [&](const Error &e) {
		return unexpected(
			Error{"iplb's route " + to_string(route.prefix) + " has " + e.message});
	};
	int ifindex = 0;
	if (tb[RTA_MULTIPATH]) {
		// An array of struct rtnexthop, each followed by its attributes.
		auto bytes = payload(tb[RTA_MULTIPATH]);
		while (bytes.size() >= sizeof(rtnexthop)) {
			rtnexthop nh;
			std::memcpy(&nh, bytes.data(), sizeof nh);
			if (nh.rtnh_len < sizeof nh || nh.rtnh_len > bytes.size())
				return fail(Error{"a malformed RTA_MULTIPATH"});
			nlattr *nb[RTA_MAX + 1] = {};
			auto *attrs = const_cast<uint8_t *>(bytes.data() + RTNH_LENGTH(0));
			if (nla_parse(nb, RTA_MAX, reinterpret_cast<nlattr *>(attrs),
				      nh.rtnh_len - static_cast<int>(RTNH_LENGTH(0)), nullptr) < 0)
				return fail(Error{"a malformed nexthop"});
			auto path = parse_seg6_encap(nb[RTA_ENCAP_TYPE], nb[RTA_ENCAP]);
			if (!path)
				return fail(path.error());
			path->weight = static_cast<uint8_t>(nh.rtnh_hops + 1);
			route.paths.push_back(std::move(*path));
			if (ifindex == 0)
				ifindex = nh.rtnh_ifindex;
			bytes = bytes.subspan(
				std::min<size_t>(RTNH_ALIGN(nh.rtnh_len), bytes.size()));
		}
	} else {
		// One nexthop: the kernel dumps it without RTA_MULTIPATH (and
		// without its weight).
		auto path = parse_seg6_encap(tb[RTA_ENCAP_TYPE], tb[RTA_ENCAP]);
		if (!path)
			return fail(path.error());
		route.paths.push_back(std::move(*path));
		if (tb[RTA_OIF])
			ifindex = static_cast<int>(nla_get_u32(tb[RTA_OIF]));
	}
	route.dev = ifname(ifindex);
	return std::optional(std::move(route));
}

Result<std::optional<Seg6Sid>, Error> parse_sid(const nlmsghdr *message, const IfName &ifname)
{
	nlattr *tb[RTA_MAX + 1] = {};
	auto head = route_head(message, tb);
	if (!head)
		return unexpected(head.error());
	if (!*head)
		return std::optional<Seg6Sid>{};
	const rtmsg *rtm = (*head)->rtm;
	if (rtm->rtm_family != AF_INET6 || rtm->rtm_protocol != seg6_protocol ||
	    (*head)->table != RT_TABLE_MAIN || rtm->rtm_dst_len != 128 || !tb[RTA_DST] ||
	    nla_len(tb[RTA_DST]) != 16 || !tb[RTA_ENCAP_TYPE] ||
	    nla_get_u16(tb[RTA_ENCAP_TYPE]) != LWTUNNEL_ENCAP_SEG6_LOCAL || !tb[RTA_ENCAP])
		return std::optional<Seg6Sid>{};
	Seg6Sid sid;
	std::memcpy(sid.sid.bytes.data(), nla_data(tb[RTA_DST]), 16);
	const auto fail = [&](const std::string &what) {
		return unexpected(Error{"iplb's SID " + to_string(sid.sid) + " has " + what});
	};
	nlattr *lb[SEG6_LOCAL_MAX + 1] = {};
	if (nla_parse_nested(lb, SEG6_LOCAL_MAX, tb[RTA_ENCAP], nullptr) < 0 ||
	    !lb[SEG6_LOCAL_ACTION])
		return fail("a malformed seg6local encapsulation");
	switch (nla_get_u32(lb[SEG6_LOCAL_ACTION])) {
	case SEG6_LOCAL_ACTION_END:
		sid.action = Seg6Action::end;
		break;
	case SEG6_LOCAL_ACTION_END_DX4:
		sid.action = Seg6Action::end_dx4;
		break;
	case SEG6_LOCAL_ACTION_END_DX6:
		sid.action = Seg6Action::end_dx6;
		break;
	default:
		return fail("action " + std::to_string(nla_get_u32(lb[SEG6_LOCAL_ACTION])) +
			    ", which iplb does not use");
	}
	if (lb[SEG6_LOCAL_NH4] && nla_len(lb[SEG6_LOCAL_NH4]) >= 4) {
		uint32_t nh4 = 0;
		std::memcpy(&nh4, nla_data(lb[SEG6_LOCAL_NH4]), 4);
		sid.nh4 = Ipv4{ntohl(nh4)};
	}
	if (lb[SEG6_LOCAL_NH6] && nla_len(lb[SEG6_LOCAL_NH6]) >= 16)
		std::memcpy(sid.nh6.bytes.data(), nla_data(lb[SEG6_LOCAL_NH6]), 16);
	sid.count = lb[SEG6_LOCAL_COUNTERS] != nullptr;
	if (sid.count) {
		nlattr *cb[SEG6_LOCAL_CNT_MAX + 1] = {};
		if (nla_parse_nested(cb, SEG6_LOCAL_CNT_MAX, lb[SEG6_LOCAL_COUNTERS], nullptr) < 0)
			return fail("malformed counters");
		const auto value = [&](int type) -> uint64_t {
			return cb[type] && nla_len(cb[type]) >= 8 ? nla_get_u64(cb[type]) : 0;
		};
		// A request's are zero; a dump's count.
		if (cb[SEG6_LOCAL_CNT_PACKETS])
			sid.counters = Seg6Counters{.packets = value(SEG6_LOCAL_CNT_PACKETS),
						    .bytes = value(SEG6_LOCAL_CNT_BYTES),
						    .errors = value(SEG6_LOCAL_CNT_ERRORS)};
	}
	sid.dev = ifname(tb[RTA_OIF] ? static_cast<int>(nla_get_u32(tb[RTA_OIF])) : 0);
	return std::optional(std::move(sid));
}

std::optional<Refusal> parse_error(const nlmsghdr *message)
{
	if (message->nlmsg_type != NLMSG_ERROR)
		return std::nullopt;
	const size_t len = message->nlmsg_len;
	if (len < NLMSG_LENGTH(sizeof(nlmsgerr)))
		return Refusal{EBADMSG, "a truncated netlink error message"};
	const auto *data = static_cast<const uint8_t *>(NLMSG_DATA(message));
	nlmsgerr err;
	std::memcpy(&err, data, sizeof err);
	if (err.error == 0)
		return std::nullopt;
	std::string text = std::strerror(-err.error);
	if (message->nlmsg_flags & NLM_F_ACK_TLVS) {
		// After the error and the request (unless capped): attributes.
		size_t offset = sizeof err;
		if (!(message->nlmsg_flags & NLM_F_CAPPED) && err.msg.nlmsg_len >= NLMSG_HDRLEN)
			offset += err.msg.nlmsg_len - NLMSG_HDRLEN;
		offset = NLMSG_ALIGN(offset);
		const size_t payload_len = len - NLMSG_HDRLEN;
		if (offset < payload_len) {
			nlattr *tb[NLMSGERR_ATTR_MAX + 1] = {};
			auto *attrs = const_cast<uint8_t *>(data + offset);
			if (nla_parse(tb, NLMSGERR_ATTR_MAX, reinterpret_cast<nlattr *>(attrs),
				      static_cast<int>(payload_len - offset), nullptr) == 0 &&
			    tb[NLMSGERR_ATTR_MSG]) {
				const auto bytes = payload(tb[NLMSGERR_ATTR_MSG]);
				std::string extack(bytes.begin(), bytes.end());
				extack.resize(std::strlen(extack.c_str())); // NUL-terminated
				if (!extack.empty())
					text += " (" + extack + ")";
			}
		}
	}
	return Refusal{-err.error, text};
}

} // namespace seg6_netlink

namespace {

using seg6_netlink::Message;

std::string name_of(int ifindex)
{
	char name[IF_NAMESIZE] = {};
	if (ifindex > 0 && ::if_indextoname(static_cast<unsigned>(ifindex), name))
		return name;
	return "if" + std::to_string(ifindex);
}

Result<int, Error> index_of(const std::string &dev)
{
	const unsigned ifindex = ::if_nametoindex(dev.c_str());
	if (ifindex == 0)
		return unexpected(Error{"no interface " + dev});
	return static_cast<int>(ifindex);
}

struct BufferFree {
	void operator()(unsigned char *buffer) const { std::free(buffer); }
};

} // namespace

void Seg6Routes::SocketFree::operator()(nl_sock *socket) const
{
	nl_socket_free(socket);
}

Result<Seg6Routes, Error> Seg6Routes::open()
{
	std::unique_ptr<nl_sock, SocketFree> socket(nl_socket_alloc());
	if (!socket)
		return unexpected(Error{"cannot allocate a netlink socket"});
	if (int rc = nl_connect(socket.get(), NETLINK_ROUTE); rc < 0)
		return unexpected(Error{std::string("cannot open a NETLINK_ROUTE socket: ") +
					nl_geterror(rc)});
	// Acks are asked for explicitly (dumps end with NLMSG_DONE instead);
	// messages are peeked at, so a large dump batch is never truncated.
	nl_socket_disable_auto_ack(socket.get());
	nl_socket_enable_msg_peek(socket.get());
	const int fd = nl_socket_get_fd(socket.get());
	const int on = 1;
	// The kernel's reason in words (extended ack), without our request
	// echoed back. Neither is essential: older kernels ignore them.
	::setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
	::setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
	// The kernel always answers; this only bounds a wait that would
	// otherwise be a bug.
	const timeval timeout{.tv_sec = 10, .tv_usec = 0};
	::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
	return Seg6Routes(std::move(socket));
}

Result<std::optional<seg6_netlink::Refusal>, Error> Seg6Routes::transact(Message message)
{
	nlmsghdr *request = seg6_netlink::header(message);
	request->nlmsg_flags |= NLM_F_ACK;
	if (int rc = nl_send_auto(socket_.get(), message.get()); rc < 0)
		return unexpected(
			Error{std::string("cannot send to the kernel: ") + nl_geterror(rc)});
	const uint32_t seq = request->nlmsg_seq;
	for (;;) {
		unsigned char *raw = nullptr;
		sockaddr_nl peer{};
		const int n = nl_recv(socket_.get(), &peer, &raw, nullptr);
		std::unique_ptr<unsigned char, BufferFree> buffer(raw);
		if (n <= 0)
			return unexpected(Error{std::string("no answer from the kernel: ") +
						(n < 0 ? nl_geterror(n) : "connection closed")});
		int left = n;
		for (auto *nlh = reinterpret_cast<nlmsghdr *>(raw); nlmsg_ok(nlh, left);
		     nlh = nlmsg_next(nlh, &left))
			// Another sequence number: an earlier request's late answer.
			if (nlh->nlmsg_seq == seq && nlh->nlmsg_type == NLMSG_ERROR)
				return seg6_netlink::parse_error(nlh);
	}
}

namespace {

// A refusal's text, and for "not supported" what the kernel lacks.
std::string explain(const seg6_netlink::Refusal &refusal)
{
	if (refusal.code == EOPNOTSUPP)
		return refusal.text + "; " + std::string(seg6_unsupported);
	return refusal.text;
}

} // namespace

Status Seg6Routes::execute(Message message, const std::string &what)
{
	auto answer = transact(std::move(message));
	if (!answer)
		return unexpected(Error{what + ": " + answer.error().message});
	if (*answer)
		return unexpected(Error{what + ": " + explain(**answer)});
	return ok();
}

Status Seg6Routes::probe()
{
	// An End SID in a table of its own, added and deleted: the kernel
	// parses the seg6local encapsulation before it installs anything, and
	// nothing the host forwards by looks at that table.
	auto lo = index_of("lo");
	if (!lo)
		return unexpected(lo.error());
	Seg6Sid sid;
	sid.sid = *parse_ipv6("fc00:69:706c:62::1");
	sid.dev = "lo";
	sid.count = false;
	auto message = seg6_netlink::sid_request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, sid,
						 *lo, seg6_probe_table);
	if (!message)
		return unexpected(message.error());
	auto answer = transact(std::move(*message));
	if (!answer)
		return unexpected(Error{"cannot probe for SRv6: " + answer.error().message});
	if (*answer) {
		if ((*answer)->code == EOPNOTSUPP)
			return unexpected(Error{std::string(seg6_unsupported)});
		return unexpected(Error{"cannot probe for SRv6: " + (*answer)->text});
	}
	auto removal = seg6_netlink::sid_request(RTM_DELROUTE, 0, sid, 0, seg6_probe_table);
	if (removal)
		(void)transact(std::move(*removal));
	return ok();
}

Status Seg6Routes::dump(int family, const std::function<Status(const nlmsghdr *)> &each)
{
	// A dump that the table changed under (NLM_F_DUMP_INTR) starts again.
	for (int attempt = 0;; attempt++) {
		auto message = seg6_netlink::dump_request(family);
		if (!message)
			return unexpected(message.error());
		if (int rc = nl_send_auto(socket_.get(), message->get()); rc < 0)
			return unexpected(Error{std::string("cannot ask the kernel for routes: ") +
						nl_geterror(rc)});
		const uint32_t seq = seg6_netlink::header(*message)->nlmsg_seq;
		std::vector<std::vector<uint8_t>> answers;
		bool interrupted = false, done = false;
		while (!done) {
			unsigned char *raw = nullptr;
			sockaddr_nl peer{};
			const int n = nl_recv(socket_.get(), &peer, &raw, nullptr);
			std::unique_ptr<unsigned char, BufferFree> buffer(raw);
			if (n <= 0)
				return unexpected(
					Error{std::string("no route dump from the kernel: ") +
					      (n < 0 ? nl_geterror(n) : "connection closed")});
			int left = n;
			for (auto *nlh = reinterpret_cast<nlmsghdr *>(raw); nlmsg_ok(nlh, left);
			     nlh = nlmsg_next(nlh, &left)) {
				if (nlh->nlmsg_seq != seq)
					continue;
				if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
					interrupted = true;
				if (nlh->nlmsg_type == NLMSG_DONE) {
					done = true;
					break;
				}
				if (nlh->nlmsg_type == NLMSG_ERROR) {
					auto error = seg6_netlink::parse_error(nlh);
					return unexpected(
						Error{"the kernel refused a route dump: " +
						      (error ? error->text : std::string("?"))});
				}
				const auto *bytes = reinterpret_cast<const uint8_t *>(nlh);
				answers.emplace_back(bytes, bytes + nlh->nlmsg_len);
			}
		}
		if (interrupted && attempt < 3)
			continue;
		for (const auto &answer : answers)
			if (auto s = each(reinterpret_cast<const nlmsghdr *>(answer.data())); !s)
				return s;
		return ok();
	}
}

Result<std::optional<uint8_t>, Error> Seg6Routes::owner_of(const Ipv4Prefix &prefix)
{
	std::optional<uint8_t> owner;
	auto s = dump(AF_INET, [&](const nlmsghdr *nlh) -> Status {
		if (nlh->nlmsg_type != RTM_NEWROUTE)
			return ok();
		const auto *rtm = static_cast<const rtmsg *>(NLMSG_DATA(nlh));
		nlattr *tb[RTA_MAX + 1] = {};
		if (nlmsg_parse(const_cast<nlmsghdr *>(nlh), sizeof(rtmsg), tb, RTA_MAX, nullptr) <
		    0)
			return ok();
		const uint32_t table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
		const uint32_t priority = tb[RTA_PRIORITY] ? nla_get_u32(tb[RTA_PRIORITY]) : 0;
		uint32_t dst = 0;
		if (tb[RTA_DST] && nla_len(tb[RTA_DST]) == 4)
			std::memcpy(&dst, nla_data(tb[RTA_DST]), 4);
		if (rtm->rtm_family == AF_INET && table == RT_TABLE_MAIN && priority == 0 &&
		    rtm->rtm_dst_len == prefix.length && ntohl(dst) == prefix.address.value)
			owner = rtm->rtm_protocol;
		return ok();
	});
	if (!s)
		return unexpected(s.error());
	return owner;
}

Status Seg6Routes::add(const Seg6Route &route)
{
	if (auto s = validate(route); !s)
		return s;
	auto ifindex = index_of(route.dev);
	if (!ifindex)
		return unexpected(ifindex.error());
	const std::string what = "cannot add " + to_string(route.prefix);
	auto owner = owner_of(route.prefix);
	if (!owner)
		return unexpected(owner.error());
	if (*owner)
		return unexpected(Error{what + ": the main table has a route for it already" +
					(**owner == seg6_protocol
						 ? std::string(" (iplb's: replace changes it)")
						 : " (protocol " + std::to_string(**owner) + ")")});
	auto message = seg6_netlink::route_request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, route,
						   *ifindex);
	if (!message)
		return unexpected(message.error());
	return execute(std::move(*message), what);
}

Status Seg6Routes::replace(const Seg6Route &route)
{
	if (auto s = validate(route); !s)
		return s;
	auto ifindex = index_of(route.dev);
	if (!ifindex)
		return unexpected(ifindex.error());
	const std::string what = "cannot replace " + to_string(route.prefix);
	// NLM_F_REPLACE takes the route of the same prefix and metric whoever
	// made it: leave other protocols' routes alone.
	auto owner = owner_of(route.prefix);
	if (!owner)
		return unexpected(owner.error());
	if (*owner && **owner != seg6_protocol)
		return unexpected(Error{what +
					": its route in the main table is not iplb's "
					"(protocol " +
					std::to_string(**owner) + ")"});
	auto message = seg6_netlink::route_request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE,
						   route, *ifindex);
	if (!message)
		return unexpected(message.error());
	return execute(std::move(*message), what);
}

Status Seg6Routes::remove(const Ipv4Prefix &prefix)
{
	// rtm_protocol makes the kernel delete only iplb's route.
	Seg6Route route;
	route.prefix = prefix;
	auto message = seg6_netlink::route_request(RTM_DELROUTE, 0, route, 0);
	if (!message)
		return unexpected(message.error());
	const std::string what = "cannot delete " + to_string(prefix);
	auto answer = transact(std::move(*message));
	if (!answer)
		return unexpected(Error{what + ": " + answer.error().message});
	if (*answer && (*answer)->code == ESRCH)
		return unexpected(Error{"no iplb SRv6 route for " + to_string(prefix)});
	if (*answer)
		return unexpected(Error{what + ": " + (*answer)->text});
	return ok();
}

Result<std::vector<Seg6Route>, Error> Seg6Routes::routes()
{
	std::vector<Seg6Route> out;
	auto s = dump(AF_INET, [&](const nlmsghdr *nlh) -> Status {
		auto route = seg6_netlink::parse_route(nlh, name_of);
		if (!route)
			return unexpected(route.error());
		if (*route)
			out.push_back(std::move(**route));
		return ok();
	});
	if (!s)
		return unexpected(s.error());
	std::sort(out.begin(), out.end(),
		  [](const Seg6Route &a, const Seg6Route &b) { return a.prefix < b.prefix; });
	return out;
}

Status Seg6Routes::add_sid(const Seg6Sid &sid)
{
	if (auto s = validate(sid); !s)
		return s;
	auto ifindex = index_of(sid.dev);
	if (!ifindex)
		return unexpected(ifindex.error());
	const std::string what = "cannot add SID " + to_string(sid.sid);
	auto message =
		seg6_netlink::sid_request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sid, *ifindex);
	if (!message)
		return unexpected(message.error());
	auto answer = transact(std::move(*message));
	if (!answer)
		return unexpected(Error{what + ": " + answer.error().message});
	if (!*answer)
		return ok();
	if (!sid.count || (*answer)->code != EINVAL)
		return unexpected(Error{what + ": " + explain(**answer)});
	// Kernels before 5.14 know no SEG6_LOCAL_COUNTERS: the SID without.
	Seg6Sid uncounted = sid;
	uncounted.count = false;
	auto again = seg6_netlink::sid_request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, uncounted,
					       *ifindex);
	if (!again)
		return unexpected(again.error());
	// Refused again: then this is the reason.
	return execute(std::move(*again), what);
}

Status Seg6Routes::remove_sid(const Ipv6 &sid)
{
	Seg6Sid which;
	which.sid = sid;
	auto message = seg6_netlink::sid_request(RTM_DELROUTE, 0, which, 0);
	if (!message)
		return unexpected(message.error());
	const std::string what = "cannot delete SID " + to_string(sid);
	auto answer = transact(std::move(*message));
	if (!answer)
		return unexpected(Error{what + ": " + answer.error().message});
	if (*answer && (*answer)->code == ESRCH)
		return unexpected(Error{"no iplb SID " + to_string(sid)});
	if (*answer)
		return unexpected(Error{what + ": " + (*answer)->text});
	return ok();
}

Result<std::vector<Seg6Sid>, Error> Seg6Routes::sids()
{
	std::vector<Seg6Sid> out;
	auto s = dump(AF_INET6, [&](const nlmsghdr *nlh) -> Status {
		auto sid = seg6_netlink::parse_sid(nlh, name_of);
		if (!sid)
			return unexpected(sid.error());
		if (*sid)
			out.push_back(std::move(**sid));
		return ok();
	});
	if (!s)
		return unexpected(s.error());
	std::sort(out.begin(), out.end(),
		  [](const Seg6Sid &a, const Seg6Sid &b) { return a.sid < b.sid; });
	return out;
}

} // namespace iplb
