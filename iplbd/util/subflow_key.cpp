// SPDX-License-Identifier: GPL-2.0-or-later
#include "util/subflow_key.hpp"

namespace iplb {

std::string to_string(const SubflowKey &subflow)
{
	auto end = [](const IpAddress &address, uint16_t port) {
		return is_v6(address) ? "[" + to_string(address) + "]:" + std::to_string(port)
				      : to_string(address) + ":" + std::to_string(port);
	};
	return end(subflow.client, subflow.client_port) + " -> " +
	       end(subflow.vip, subflow.vip_port);
}

} // namespace iplb
