// SPDX-License-Identifier: GPL-2.0-or-later
// iplb_settings.h: the role, the LSDB feed and the host plane's
// configuration, from the northbound's leaves to the core's types.
#include "capi/core_handle.hpp"
#include "capi/iplb_settings.h"
#include "roles/host_config.hpp"
#include "roles/lb_plane.hpp"
#include "util/ipv4.hpp"

#include <memory>
#include <new>
#include <optional>
#include <string>

using iplb::capi::copy_text;
using iplb::capi::failure_of;
using iplb::capi::guarded;
using iplb::capi::text_of;

struct iplb_settings {
	iplb::HostPlaneConfigBuilder builder;
	iplb::LbPlaneConfig lb;
	// A leaf whose call failed inside the core: the whole configuration is
	// refused, never applied without it.
	std::optional<std::string> failed;
};

namespace {

// A leaf into the builder; if that fails inside the core, the failure is
// kept as the configuration's error.
template <typename Body>
void build(iplb_settings *config, const char *function, Body &&body)
{
	guarded(iplb::capi::Failure{.function = function, .keep = &config->failed},
		std::forward<Body>(body));
}

// The configuration, or false and why.
bool finished(const iplb_settings *config, iplb::HostPlaneConfig &out, char *errbuf, size_t errlen)
{
	if (config->failed) {
		copy_text(*config->failed, errbuf, errlen);
		return false;
	}
	if (auto lb = iplb::check_lb_config(config->lb); !lb) {
		copy_text(lb.error().message, errbuf, errlen);
		return false;
	}
	return iplb::capi::take(config->builder.finish(), out, errbuf, errlen);
}

} // namespace

extern "C" {

bool iplb_core_check_role(const char *name, char *errbuf, size_t errlen)
{
	return guarded(failure_of(nullptr, __func__, errbuf, errlen), false, [&] {
		auto role = iplb::parse_role(text_of(name));
		if (!role)
			copy_text(role.error().message, errbuf, errlen);
		return role.has_value();
	});
}

bool iplb_core_set_role(struct iplb_core *core, const char *name, char *errbuf, size_t errlen)
{
	return guarded(failure_of(core, __func__, errbuf, errlen), false, [&] {
		auto role = iplb::parse_role(text_of(name));
		if (!role) {
			copy_text(role.error().message, errbuf, errlen);
			return false;
		}
		core->daemon.set_role(*role);
		return true;
	});
}

bool iplb_core_lsdb_set_server(struct iplb_core *core, const char *address, uint16_t port,
			       char *errbuf, size_t errlen)
{
	return guarded(failure_of(core, __func__, errbuf, errlen), false, [&] {
		auto server = iplb::parse_ipv4(text_of(address));
		if (!server) {
			copy_text(server.error().message, errbuf, errlen);
			return false;
		}
		if (port == 0) {
			copy_text("port 0 is not a valid API server port", errbuf, errlen);
			return false;
		}
		iplb::ApiSessionConfig config = core->daemon.lsdb().status().config;
		config.server = *server;
		config.port = port;
		core->daemon.lsdb().reconfigure(config);
		return true;
	});
}

void iplb_core_lsdb_enable(struct iplb_core *core, bool enable)
{
	guarded(failure_of(core, __func__), [&] {
		if (enable)
			core->daemon.lsdb().start();
		else
			core->daemon.lsdb().stop();
	});
}

bool iplb_core_set_debounce(struct iplb_core *core, uint32_t delay_msec, uint32_t max_hold_msec,
			    char *errbuf, size_t errlen)
{
	return guarded(failure_of(core, __func__, errbuf, errlen), false, [&] {
		if (delay_msec > max_hold_msec) {
			copy_text("the debounce delay (" + std::to_string(delay_msec) +
					  " ms) is longer than the max hold (" +
					  std::to_string(max_hold_msec) + " ms)",
				  errbuf, errlen);
			return false;
		}
		core->daemon.set_debounce({std::chrono::milliseconds{delay_msec},
					   std::chrono::milliseconds{max_hold_msec}});
		return true;
	});
}

struct iplb_settings *iplb_settings_new(void)
{
	return new (std::nothrow) iplb_settings;
}

void iplb_settings_free(struct iplb_settings *config)
{
	std::unique_ptr<iplb_settings> owned(config);
}

void iplb_settings_path(struct iplb_settings *config, uint32_t k, const char *metric,
			const char *planner, uint32_t max_relays)
{
	build(config, __func__,
	      [&] { config->builder.path(k, text_of(metric), text_of(planner), max_relays); });
}

void iplb_settings_datapath(struct iplb_settings *config, const char *engine, const char *instance,
			    const char *encap, const char *mode, uint32_t mtu,
			    uint32_t flow_idle_msec)
{
	build(config, __func__, [&] {
		config->builder.datapath(text_of(engine), text_of(instance), text_of(encap),
					 text_of(mode), mtu, flow_idle_msec);
	});
}

void iplb_settings_datapath_congestion(struct iplb_settings *config, const char *choice)
{
	build(config, __func__, [&] { config->builder.datapath_congestion(text_of(choice)); });
}

void iplb_settings_datapath_source(struct iplb_settings *config, const char *address)
{
	build(config, __func__, [&] { config->builder.datapath_source(text_of(address)); });
}

void iplb_settings_datapath_interface(struct iplb_settings *config, const char *ifname)
{
	build(config, __func__, [&] { config->builder.datapath_interface(text_of(ifname)); });
}

void iplb_settings_destination(struct iplb_settings *config, bool include, const char *prefix)
{
	build(config, __func__, [&] { config->builder.destination(include, text_of(prefix)); });
}

void iplb_settings_destination_prefix_list(struct iplb_settings *config, const char *name)
{
	build(config, __func__, [&] { config->builder.destination_prefix_list(text_of(name)); });
}

void iplb_settings_policy(struct iplb_settings *config, const char *prefix, uint32_t k,
			  const char *planner, const char *encap, const char *mode,
			  const char *weights)
{
	build(config, __func__, [&] {
		config->builder.policy(text_of(prefix), k, text_of(planner), text_of(encap),
				       text_of(mode), text_of(weights));
	});
}

void iplb_settings_static_options(struct iplb_settings *config, const char *prefix,
				  const char *encap, const char *mode)
{
	build(config, __func__, [&] {
		config->builder.static_options(text_of(prefix), text_of(encap), text_of(mode));
	});
}

void iplb_settings_static_list(struct iplb_settings *config, const char *prefix, const char *relays)
{
	build(config, __func__,
	      [&] { config->builder.static_list(text_of(prefix), text_of(relays)); });
}

void iplb_settings_lb(struct iplb_settings *config, const char *name, const char *prefix,
		      bool controller, const char *instance)
{
	build(config, __func__, [&] {
		config->lb.name = std::string(text_of(name));
		if (prefix != nullptr)
			config->lb.prefix = std::string(text_of(prefix));
		config->lb.controller = controller;
		if (instance != nullptr && *instance != '\0')
			config->lb.instance = std::string(text_of(instance));
	});
}

void iplb_settings_lb_interface(struct iplb_settings *config, const char *ifname)
{
	build(config, __func__, [&] { config->lb.interfaces.emplace_back(text_of(ifname)); });
}

void iplb_settings_lb_fib_lookup(struct iplb_settings *config, bool fib_lookup)
{
	build(config, __func__, [&] { config->lb.fib_lookup = fib_lookup; });
}

void iplb_settings_lb_redis_endpoint(struct iplb_settings *config, const char *endpoint)
{
	build(config, __func__, [&] { config->lb.redis.emplace_back(text_of(endpoint)); });
}

void iplb_settings_lb_endpoint(struct iplb_settings *config, const char *url)
{
	build(config, __func__, [&] { config->lb.endpoints.emplace_back(text_of(url)); });
}

bool iplb_settings_check(const struct iplb_settings *config, char *errbuf, size_t errlen)
{
	return guarded(failure_of(nullptr, __func__, errbuf, errlen), false, [&] {
		iplb::HostPlaneConfig built;
		return finished(config, built, errbuf, errlen);
	});
}

bool iplb_core_configure(struct iplb_core *core, const struct iplb_settings *config, char *errbuf,
			 size_t errlen)
{
	return guarded(failure_of(core, __func__, errbuf, errlen), false, [&] {
		iplb::HostPlaneConfig built;
		if (!finished(config, built, errbuf, errlen))
			return false;
		auto applied = core->daemon.configure(built);
		if (!applied) {
			copy_text(applied.error().message, errbuf, errlen);
			return false;
		}
		// Checked with the rest by finished(): it cannot be refused here.
		auto lb = core->daemon.configure_lb(config->lb);
		if (!lb)
			copy_text(lb.error().message, errbuf, errlen);
		return lb.has_value();
	});
}

void iplb_core_prefix_lists_changed(struct iplb_core *core)
{
	guarded(failure_of(core, __func__), [&] { core->daemon.prefix_lists_changed(); });
}

} // extern "C"
