// SPDX-License-Identifier: GPL-2.0-or-later
// Every `show iplb ...` output of a running daemon, rendered here and only
// here: text and JSON come from the same values (for the status, the text
// is written from the JSON object itself).
#pragma once

#include "daemon/daemon.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace iplb {

// What only the FRR glue knows.
struct GlueFacts {
	std::string frr_version;
	bool zebra_connected = false;
};

// `show iplb status [json]`: the daemon, its LSDB feed, topology and table.
nlohmann::ordered_json status_json(const Daemon &daemon, const GlueFacts &glue);
std::string status_text(const nlohmann::ordered_json &status);

// How full the datapath's table is (HostPipeline::fill()), as `show iplb
// table|counters` print it: {"capacity" (null: no bound), "destinations",
// "installed", "notInstalled", "tableFull", "writeFailed"}, and "table
// capacity C: I installed, M NOT installed (M table full)" (no bound: "no
// capacity bound (no datapath)").
nlohmann::ordered_json table_fill_json(const TableFill &fill);
std::string table_fill_text(const TableFill &fill);

// `show iplb table|counters [json]`.
std::string table_text(const Daemon &daemon);
nlohmann::ordered_json table_json(const Daemon &daemon);
// The pipeline's part of them: the fill, the routes installed as computed
// (with no datapath: as computed), each destination not installed and why
// (JSON: "fill", "routes", "notInstalled": [{"prefix", "installed": false,
// "reason"}]).
std::string table_text(const HostPipeline &pipeline);
nlohmann::ordered_json table_json(const HostPipeline &pipeline);
std::string counters_text(const Daemon &daemon);
nlohmann::ordered_json counters_json(const Daemon &daemon);

// `show iplb paths PREFIX [json|dot]`. Error when `prefix` does not parse
// or is not a destination.
enum class PathsFormat { text, json, dot };
Result<std::string, Error> paths_show(const Daemon &daemon, std::string_view prefix,
				      PathsFormat format);

// `show iplb topology [json]` (JSON: a topology file).
std::string topology_text(const Daemon &daemon);
std::string topology_json(const Daemon &daemon);

// `show iplb vip [json]`: a mux's VIPs, advertised or why not.
std::string vips_text(const Daemon &daemon, const GlueFacts &glue);
nlohmann::ordered_json vips_json(const Daemon &daemon, const GlueFacts &glue);

// `show iplb lb controller [json]`: whether this node runs the controller,
// leads, sees etcd, and each VIP's committed and prepared versions.
nlohmann::ordered_json lb_controller_json(const Daemon &daemon);
std::string lb_controller_text(const nlohmann::ordered_json &controller);

// `show iplb lb [vip ...] [json]`: what etcd holds now (read by this call,
// bounded: LbPlane::read()): each VIP's configuration, committed and
// prepared versions, its backends' states, health and buckets; the live
// muxes, backends and the controller's leader. Error: etcd unreachable, or
// an unknown VIP.
Result<nlohmann::ordered_json, Error> lb_json(const Daemon &daemon,
					      const std::optional<lbcontrol::VipId> &only);
std::string lb_text(const nlohmann::ordered_json &lb);
// `show iplb lb buckets VIP [json]`: the committed map as runs of buckets
// with one owner, previous owner and change time.
Result<nlohmann::ordered_json, Error> lb_buckets_json(const Daemon &daemon,
						      const lbcontrol::VipId &vip);
std::string lb_buckets_text(const nlohmann::ordered_json &buckets);
// `show iplb lb mux [json]`: this mux's agent (etcd connected or since when
// not, each VIP's committed, active and staged generations, announced or
// why not) and its program's interfaces.
nlohmann::ordered_json lb_mux_json(const Daemon &daemon);
std::string lb_mux_text(const nlohmann::ordered_json &mux);
// `show iplb lb backend [json]`: this backend's agent (etcd, each VIP it
// takes and why) and its program's interfaces.
nlohmann::ordered_json lb_backend_json(const Daemon &daemon);
std::string lb_backend_text(const nlohmann::ordered_json &backend);
// `show iplb lb mptcp [json]` (docs/MPTCP.md): role mux, the token mirror
// (Redis, the counters), the token map (its entries, up to `shown`) and the
// subflow map's size, each VIP's mode and MPTCP counters; role backend, the
// token agent (Redis, the tokens it holds, collisions).
nlohmann::ordered_json lb_mptcp_json(const Daemon &daemon, size_t shown = 50);
std::string lb_mptcp_text(const nlohmann::ordered_json &mptcp);

} // namespace iplb
