// SPDX-License-Identifier: GPL-2.0-or-later
// The host plane's configuration (paths, destinations, datapath) as one
// value, built from the text of the YANG leaves (the glue hands them over as
// they are) and checked whole: what the northbound validates a candidate
// with, and what the host plane applies.
#pragma once

#include "datapath/host_datapath.hpp"
#include "pipeline/host_pipeline.hpp"
#include "roles/host_congestion.hpp"
#include "util/result.hpp"

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace iplb {

struct HostPlaneConfig {
	PipelineConfig pipeline;
	// The eBPF host datapath; none: tables are computed and shown only.
	std::optional<HostDatapathConfig> datapath;
	// The namespace's TCP congestion control: iplb_lia for MPTCP, or left
	// alone (none). Independent of the datapath engine.
	CongestionChoice congestion = CongestionChoice::none;

	friend bool operator==(const HostPlaneConfig &, const HostPlaneConfig &) = default;
};

// Collects the configuration leaf by leaf; the first value that does not
// parse is kept as the error, with the leaf it came from.
class HostPlaneConfigBuilder {
public:
	void path(unsigned k, std::string_view metric, std::string_view planner,
		  unsigned max_relays);
	// engine: none or bpf; an empty instance: the default one.
	void datapath(std::string_view engine, std::string_view instance, std::string_view encap,
		      std::string_view mode, unsigned mtu, unsigned flow_idle_ms);
	void datapath_source(std::string_view address); // IPv4 or IPv6
	void datapath_congestion(std::string_view choice); // none or iplb-lia
	void datapath_interface(std::string_view ifname);
	void destination(bool include, std::string_view prefix);
	void destination_prefix_list(std::string_view name);
	// Empty views and k 0: not overridden. weights: "3,1".
	void policy(std::string_view prefix, unsigned k, std::string_view planner,
		    std::string_view encap, std::string_view mode, std::string_view weights);
	// One more list of the static route (relays "A,B" or "direct").
	void static_list(std::string_view prefix, std::string_view relays);
	void static_options(std::string_view prefix, std::string_view encap, std::string_view mode);

	// The configuration, checked whole (validate()).
	Result<HostPlaneConfig, Error> finish() const;

private:
	void error(std::string message)
	{
		if (!error_)
			error_ = Error{std::move(message)};
	}
	RouteSpec &static_route(const IpPrefix &prefix);

	HostPlaneConfig config_;
	std::map<IpPrefix, size_t> static_index_; // into config_.pipeline.static_routes
	std::optional<Error> error_;
};

// Everything that makes a configuration impossible to run: the pipeline's
// checks, interfaces that do not exist here, an instance name that is not a
// file name.
Status validate(const HostPlaneConfig &config);

} // namespace iplb
