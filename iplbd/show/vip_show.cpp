// SPDX-License-Identifier: GPL-2.0-or-later
// `show iplb vip [json]`: the mux plane's VIPs, both forms from one list.
#include "show/show.hpp"

#include <cstdio>

namespace iplb {

using json = nlohmann::ordered_json;

std::string vips_text(const Daemon &daemon, const GlueFacts &glue)
{
	char line[160];
	std::snprintf(line, sizeof(line), "%-40s %-7s %-10s %s\n", "VIP", "Drained", "Advertised",
		      "Reason");
	std::string out = line;
	for (const VipView &vip : daemon.mux().vips(glue.zebra_connected)) {
		std::snprintf(line, sizeof(line), "%-40s %-7s %-10s %s%s\n",
			      to_string(vip.prefix).c_str(), vip.drain ? "yes" : "no",
			      vip.advertised ? "yes" : "no",
			      vip.reason.empty() ? "-" : vip.reason.c_str(),
			      vip.etcd ? " (etcd's pools)" : "");
		out += line;
	}
	return out;
}

json vips_json(const Daemon &daemon, const GlueFacts &glue)
{
	json vips = json::array();
	for (const VipView &vip : daemon.mux().vips(glue.zebra_connected))
		vips.push_back({{"prefix", to_string(vip.prefix)},
				{"drain", vip.drain},
				{"advertised", vip.advertised},
				{"reason", vip.reason},
				{"etcd", vip.etcd}});
	return {{"vips", vips}};
}

} // namespace iplb
