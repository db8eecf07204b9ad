// SPDX-License-Identifier: GPL-2.0-or-later
#include "netlink/interface_addresses.hpp"

#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace iplb {
namespace {

struct SocketFree {
	void operator()(nl_sock *socket) const { nl_socket_free(socket); }
};
struct CacheFree {
	void operator()(nl_cache *cache) const { nl_cache_free(cache); }
};

Error netlink_error(const std::string &what, int err)
{
	return Error{what + ": " + nl_geterror(err)};
}

using Socket = std::unique_ptr<nl_sock, SocketFree>;

Result<Socket, Error> open_rtnetlink()
{
	Socket socket(nl_socket_alloc());
	if (!socket)
		return unexpected(Error{"cannot allocate a netlink socket"});
	if (int err = nl_connect(socket.get(), NETLINK_ROUTE); err < 0)
		return unexpected(netlink_error("cannot open rtnetlink", err));
	return socket;
}

} // namespace

Result<std::vector<IpAddress>, Error> interface_addresses(const std::string &ifname)
{
	const unsigned ifindex = ::if_nametoindex(ifname.c_str());
	if (ifindex == 0)
		return unexpected(Error{"no interface " + ifname});
	auto socket = open_rtnetlink();
	if (!socket)
		return unexpected(socket.error());
	nl_cache *raw = nullptr;
	if (int err = rtnl_addr_alloc_cache(socket->get(), &raw); err < 0)
		return unexpected(netlink_error("cannot read the addresses", err));
	std::unique_ptr<nl_cache, CacheFree> cache(raw);

	std::vector<IpAddress> out;
	for (nl_object *object = nl_cache_get_first(cache.get()); object;
	     object = nl_cache_get_next(object)) {
		auto *address = reinterpret_cast<rtnl_addr *>(object);
		if (rtnl_addr_get_ifindex(address) != static_cast<int>(ifindex) ||
		    rtnl_addr_get_scope(address) != RT_SCOPE_UNIVERSE)
			continue;
		const nl_addr *local = rtnl_addr_get_local(address);
		if (!local)
			continue;
		const auto *bytes = static_cast<const uint8_t *>(nl_addr_get_binary_addr(local));
		if (nl_addr_get_family(local) == AF_INET && nl_addr_get_len(local) == 4) {
			uint32_t value;
			std::memcpy(&value, bytes, 4);
			out.push_back(Ipv4{ntohl(value)});
		} else if (nl_addr_get_family(local) == AF_INET6 && nl_addr_get_len(local) == 16) {
			Ipv6 v6;
			std::memcpy(v6.bytes.data(), bytes, 16);
			out.push_back(v6);
		}
	}
	std::sort(out.begin(), out.end());
	return out;
}

namespace {

struct AddrFree {
	void operator()(rtnl_addr *address) const { rtnl_addr_put(address); }
};
struct NlAddrFree {
	void operator()(nl_addr *address) const { nl_addr_put(address); }
};

Status change_host_address(const std::string &ifname, const IpAddress &address, bool bind)
{
	const unsigned ifindex = ::if_nametoindex(ifname.c_str());
	if (ifindex == 0)
		return unexpected(Error{"no interface " + ifname});
	auto socket = open_rtnetlink();
	if (!socket)
		return unexpected(socket.error());
	uint8_t bytes[16];
	int family, length;
	if (const Ipv4 *v4 = std::get_if<Ipv4>(&address)) {
		const uint32_t value = htonl(v4->value);
		std::memcpy(bytes, &value, 4);
		family = AF_INET;
		length = 4;
	} else {
		std::memcpy(bytes, std::get<Ipv6>(address).bytes.data(), 16);
		family = AF_INET6;
		length = 16;
	}
	std::unique_ptr<nl_addr, NlAddrFree> local(nl_addr_build(family, bytes, length));
	std::unique_ptr<rtnl_addr, AddrFree> request(rtnl_addr_alloc());
	if (!local || !request)
		return unexpected(Error{"cannot allocate a netlink address"});
	nl_addr_set_prefixlen(local.get(), length * 8);
	rtnl_addr_set_ifindex(request.get(), static_cast<int>(ifindex));
	rtnl_addr_set_family(request.get(), family);
	if (int err = rtnl_addr_set_local(request.get(), local.get()); err < 0)
		return unexpected(netlink_error("cannot build the address", err));
	rtnl_addr_set_prefixlen(request.get(), length * 8);
	if (family == AF_INET6) // no duplicate address detection for a VIP
		rtnl_addr_set_flags(request.get(), IFA_F_NODAD);
	const int err = bind ? rtnl_addr_add(socket->get(), request.get(), 0)
			     : rtnl_addr_delete(socket->get(), request.get(), 0);
	if (err < 0 && !(bind && err == -NLE_EXIST) &&
	    !(!bind && (err == -NLE_NOADDR || err == -NLE_OBJ_NOTFOUND)))
		return unexpected(
			netlink_error(std::string(bind ? "cannot bind " : "cannot unbind ") +
					      to_string(address) + " on " + ifname,
				      err));
	return ok();
}

} // namespace

Status bind_host_address(const std::string &ifname, const IpAddress &address)
{
	return change_host_address(ifname, address, true);
}

Status unbind_host_address(const std::string &ifname, const IpAddress &address)
{
	return change_host_address(ifname, address, false);
}

} // namespace iplb
