// SPDX-License-Identifier: GPL-2.0-or-later
// The C interface of the core (iplb_core.h): converts types and errors,
// holds no logic of its own.
#include "capi/iplb_core.h"

#include "daemon/daemon.hpp"
#include "daemon/daemon_show.hpp"
#include "status/uptime.hpp"
#include "topology/json_format.hpp"
#include "topology/text_format.hpp"
#include "util/ipv4.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>

#ifndef IPLB_VERSION
#error "IPLB_VERSION must be defined by the build"
#endif

namespace {

void copy_text(std::string_view text, char *buf, size_t len)
{
	if (buf == nullptr || len == 0)
		return;
	std::snprintf(buf, len, "%.*s", static_cast<int>(text.size()), text.data());
}

// The daemon's event loop, seen through the C callbacks it registered.
class CallbackIoDriver final : public iplb::IoDriver {
public:
	explicit CallbackIoDriver(const iplb_io_ops &ops) : ops_(ops) {}

	void watch(int fd, iplb::Interest interest) override
	{
		using iplb::Interest;
		ops_.watch(ops_.ctx, fd,
			   interest == Interest::read || interest == Interest::read_write,
			   interest == Interest::write || interest == Interest::read_write);
	}
	void arm_timer(std::chrono::milliseconds delay) override
	{
		ops_.arm_timer(ops_.ctx, static_cast<uint32_t>(delay.count()));
	}
	void cancel_timer() override { ops_.cancel_timer(ops_.ctx); }

private:
	iplb_io_ops ops_;
};

void fill_lsdb_status(const iplb::ApiSession &session, iplb_lsdb_status &out)
{
	const iplb::SessionStatus s = session.status();
	copy_text(iplb::to_string(s.state), out.state, sizeof(out.state));
	copy_text(iplb::to_string(s.config.server) + ":" + std::to_string(s.config.port),
		  out.server, sizeof(out.server));
	out.since_sec = static_cast<uint64_t>(s.since.count());
	copy_text(iplb::format_uptime(s.since), out.since, sizeof(out.since));
	out.has_router_id = s.router_id.has_value();
	if (s.router_id)
		copy_text(iplb::to_string(*s.router_id), out.router_id, sizeof(out.router_id));
	copy_text(s.last_error, out.last_error, sizeof(out.last_error));
	out.retry_in_msec = s.retry_in ? s.retry_in->count() : -1;
	out.lsas = s.lsas;
	const auto by_type = session.database().count_by_type();
	for (size_t type = 0; type < by_type.size(); type++)
		out.lsas_by_type[type] = by_type[type];
	out.connect_attempts = s.counters.connect_attempts;
	out.syncs = s.counters.syncs;
	out.disconnects = s.counters.disconnects;
	out.lsa_updates = s.counters.lsa_updates;
	out.lsa_deletes = s.counters.lsa_deletes;
	out.malformed = s.counters.malformed;
	out.truncated = s.counters.truncated;
	out.ospf_interfaces = s.interfaces;
	out.ospf_interfaces_up = s.interfaces_up;
	out.ospf_neighbours = s.neighbours;
	out.ospf_neighbours_full = s.neighbours_full;
	out.ospf_reachable_routers = s.reachable_routers;
}

void fill_topology_status(const iplb::Daemon &d, iplb_topology_status &out)
{
	const auto &s = d.topology_stats();
	const auto &r = d.rebuilds();
	out.routers = s.routers;
	out.networks = s.networks;
	out.links = s.links;
	out.prefixes = s.prefixes;
	out.one_way = s.one_way;
	out.ignored = s.ignored;
	out.malformed = s.malformed;
	out.rebuilds = r.rebuilds;
	out.rebuilds_unchanged = r.unchanged;
	out.rebuild_errors = r.errors;
	out.last_rebuild_usec = static_cast<uint64_t>(r.last.count());
	out.max_rebuild_usec = static_cast<uint64_t>(r.max.count());
	out.last_rebuild_ago_msec = r.rebuilds + r.errors == 0
					    ? -1
					    : std::chrono::duration_cast<std::chrono::milliseconds>(
						      std::chrono::steady_clock::now() - r.at)
						      .count();
	out.rebuild_pending = d.rebuild_pending();
	out.debounce_delay_msec = static_cast<uint32_t>(d.debounce().delay.count());
	out.debounce_max_hold_msec = static_cast<uint32_t>(d.debounce().max_hold.count());
	out.snapshots = r.snapshots;
	out.same_topology = r.same_topology;
	out.last_change_ago_msec =
		r.snapshots == 0 ? -1
				 : std::chrono::duration_cast<std::chrono::milliseconds>(
					   std::chrono::steady_clock::now() - r.last_change_at)
					   .count();
	const auto &c = r.last_delta;
	out.last_change = {c.nodes_added,    c.nodes_removed,	 c.relays_changed,
			   c.links_added,    c.links_removed,	 c.links_changed,
			   c.prefixes_added, c.prefixes_removed, c.prefixes_changed};
}

// A malloc'd copy, for C callers to free().
char *c_string(const std::string &text)
{
	char *out = static_cast<char *>(std::malloc(text.size() + 1));
	if (out != nullptr)
		std::memcpy(out, text.c_str(), text.size() + 1);
	return out;
}

iplb::LogSink log_sink(const iplb_io_ops &ops)
{
	if (ops.log == nullptr)
		return {};
	return [ops](iplb::LogLevel level, const std::string &message) {
		ops.log(ops.ctx, static_cast<int>(level), message.c_str());
	};
}

void fill_table_status(const iplb::Daemon &d, iplb_table_status &out)
{
	const auto &c = d.pipeline().counters();
	const auto &t = d.update_timing();
	out.destinations = d.pipeline().desired().size();
	const auto source = d.pipeline().source();
	out.has_source = source.has_value();
	if (source)
		copy_text(iplb::to_string(*source), out.source, sizeof(out.source));
	out.datapath_configured = d.config().datapath.has_value();
	out.datapath_open = d.datapath().open();
	out.healthy = d.healthy();
	if (d.config().datapath)
		copy_text(d.config().datapath->instance, out.instance, sizeof(out.instance));
	std::string attached;
	for (const std::string &ifname : d.datapath().attached())
		attached += (attached.empty() ? "" : " ") + ifname;
	copy_text(attached, out.attached, sizeof(out.attached));
	copy_text(d.datapath().last_error(), out.datapath_error, sizeof(out.datapath_error));
	out.recomputes = c.recomputes;
	out.routes_written = c.routes_written;
	out.routes_removed = c.routes_removed;
	out.without_changes = c.without_changes;
	out.errors = c.compute_errors + c.sync_errors + d.datapath().errors();
	out.last_compute_usec = static_cast<uint64_t>(c.compute.last.count());
	out.max_compute_usec = static_cast<uint64_t>(c.compute.max.count());
	out.updates = t.updates;
	out.last_update_msec = t.updates == 0 ? -1 : t.last.count();
	out.max_update_msec = t.updates == 0 ? -1 : t.max.count();
	out.last_update_ago_msec = t.updates == 0
					   ? -1
					   : std::chrono::duration_cast<std::chrono::milliseconds>(
						     std::chrono::steady_clock::now() - t.at)
						     .count();
}

char *c_result(const iplb::Result<std::string, iplb::Error> &text, char *errbuf, size_t errlen)
{
	if (!text) {
		copy_text(text.error().message, errbuf, errlen);
		return nullptr;
	}
	return c_string(*text);
}

} // namespace

struct iplb_core {
	explicit iplb_core(const iplb_io_ops &ops) : io(ops), daemon(io, log_sink(ops))
	{
		if (ops.raise_privileges != nullptr && ops.lower_privileges != nullptr)
			daemon.set_privileges({[ops] { ops.raise_privileges(ops.ctx); },
					       [ops] {
						       ops.lower_privileges(ops.ctx);
					       }});
		if (ops.prefix_list_permits != nullptr)
			daemon.pipeline().set_prefix_list_check(
				[ops](const std::string &name, const iplb::Ipv4Prefix &p) {
					return ops.prefix_list_permits(ops.ctx, name.c_str(),
								       p.address.value, p.length);
				});
		if (ops.datapath_changed != nullptr)
			daemon.set_health_listener(
				[ops](bool healthy) { ops.datapath_changed(ops.ctx, healthy); });
	}

	CallbackIoDriver io;
	iplb::Daemon daemon;
};

struct iplb_settings {
	iplb::DaemonConfigBuilder builder;
};

extern "C" {

struct iplb_core *iplb_core_new(const struct iplb_io_ops *ops)
{
	if (ops == nullptr || ops->watch == nullptr || ops->arm_timer == nullptr ||
	    ops->cancel_timer == nullptr)
		return nullptr;
	return new (std::nothrow) iplb_core(*ops);
}

void iplb_core_free(struct iplb_core *core)
{
	std::unique_ptr<iplb_core> owned(core);
}

void iplb_core_on_io(struct iplb_core *core, int fd, bool readable, bool writable)
{
	core->daemon.on_io(fd, readable, writable);
}

void iplb_core_on_timer(struct iplb_core *core)
{
	core->daemon.on_timer();
}

const char *iplb_core_version(void)
{
	return IPLB_VERSION;
}

bool iplb_core_check_role(const char *name, char *errbuf, size_t errlen)
{
	auto role = iplb::parse_role(name != nullptr ? name : "");
	if (!role)
		copy_text(role.error().message, errbuf, errlen);
	return role.has_value();
}

bool iplb_core_set_role(struct iplb_core *core, const char *name, char *errbuf, size_t errlen)
{
	auto role = iplb::parse_role(name != nullptr ? name : "");
	if (!role) {
		copy_text(role.error().message, errbuf, errlen);
		return false;
	}
	core->daemon.status().set_role(*role);
	return true;
}

bool iplb_core_lsdb_set_server(struct iplb_core *core, const char *address, uint16_t port,
			       char *errbuf, size_t errlen)
{
	auto server = iplb::parse_ipv4(address != nullptr ? address : "");
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
}

void iplb_core_lsdb_enable(struct iplb_core *core, bool enable)
{
	if (enable)
		core->daemon.lsdb().start();
	else
		core->daemon.lsdb().stop();
}

bool iplb_core_set_debounce(struct iplb_core *core, uint32_t delay_msec, uint32_t max_hold_msec,
			    char *errbuf, size_t errlen)
{
	if (delay_msec > max_hold_msec) {
		copy_text("the debounce delay (" + std::to_string(delay_msec) +
				  " ms) is longer than the max hold (" +
				  std::to_string(max_hold_msec) + " ms)",
			  errbuf, errlen);
		return false;
	}
	core->daemon.set_debounce(
		{std::chrono::milliseconds{delay_msec}, std::chrono::milliseconds{max_hold_msec}});
	return true;
}

bool iplb_core_datapath_healthy(const struct iplb_core *core)
{
	return core->daemon.healthy();
}

namespace {
std::string_view text_of(const char *text)
{
	return text != nullptr ? std::string_view(text) : std::string_view{};
}
} // namespace

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
	config->builder.path(k, text_of(metric), text_of(planner), max_relays);
}

void iplb_settings_datapath(struct iplb_settings *config, const char *backend, const char *instance,
			    const char *encap, const char *mode, uint32_t mtu,
			    uint32_t flow_idle_msec)
{
	config->builder.datapath(text_of(backend), text_of(instance), text_of(encap), text_of(mode),
				 mtu, flow_idle_msec);
}

void iplb_settings_datapath_source(struct iplb_settings *config, const char *address)
{
	config->builder.datapath_source(text_of(address));
}

void iplb_settings_datapath_interface(struct iplb_settings *config, const char *ifname)
{
	config->builder.datapath_interface(text_of(ifname));
}

void iplb_settings_destination(struct iplb_settings *config, bool include, const char *prefix)
{
	config->builder.destination(include, text_of(prefix));
}

void iplb_settings_policy(struct iplb_settings *config, const char *prefix, uint32_t k,
			  const char *planner, const char *encap, const char *mode,
			  const char *weights)
{
	config->builder.policy(text_of(prefix), k, text_of(planner), text_of(encap), text_of(mode),
			       text_of(weights));
}

void iplb_settings_static_options(struct iplb_settings *config, const char *prefix,
				  const char *encap, const char *mode)
{
	config->builder.static_options(text_of(prefix), text_of(encap), text_of(mode));
}

void iplb_settings_static_list(struct iplb_settings *config, const char *prefix, const char *relays)
{
	config->builder.static_list(text_of(prefix), text_of(relays));
}

void iplb_settings_destination_prefix_list(struct iplb_settings *config, const char *name)
{
	config->builder.destination_prefix_list(text_of(name));
}

void iplb_core_prefix_lists_changed(struct iplb_core *core)
{
	core->daemon.prefix_lists_changed();
}

bool iplb_settings_check(const struct iplb_settings *config, char *errbuf, size_t errlen)
{
	auto built = config->builder.finish();
	if (!built)
		copy_text(built.error().message, errbuf, errlen);
	return built.has_value();
}

bool iplb_core_configure(struct iplb_core *core, const struct iplb_settings *config, char *errbuf,
			 size_t errlen)
{
	auto built = config->builder.finish();
	if (!built) {
		copy_text(built.error().message, errbuf, errlen);
		return false;
	}
	auto applied = core->daemon.configure(*built);
	if (!applied)
		copy_text(applied.error().message, errbuf, errlen);
	return applied.has_value();
}

char *iplb_core_table_text(const struct iplb_core *core)
{
	return c_string(iplb::table_text(core->daemon));
}

char *iplb_core_table_json(const struct iplb_core *core)
{
	return c_string(iplb::table_json(core->daemon).dump());
}

char *iplb_core_counters_text(const struct iplb_core *core)
{
	return c_string(iplb::counters_text(core->daemon));
}

char *iplb_core_counters_json(const struct iplb_core *core)
{
	return c_string(iplb::counters_json(core->daemon).dump());
}

void iplb_core_set_debug(struct iplb_core *core, uint32_t categories)
{
	core->daemon.set_debug({.lsdb = (categories & IPLB_DEBUG_LSDB) != 0,
				.paths = (categories & IPLB_DEBUG_PATHS) != 0,
				.dataplane = (categories & IPLB_DEBUG_DATAPLANE) != 0});
}

void iplb_core_clear_counters(struct iplb_core *core)
{
	core->daemon.clear_counters();
}

char *iplb_core_paths(const struct iplb_core *core, const char *prefix, int format, char *errbuf,
		      size_t errlen)
{
	const auto f = format == 1   ? iplb::PathsFormat::json
		       : format == 2 ? iplb::PathsFormat::dot
				     : iplb::PathsFormat::text;
	return c_result(iplb::paths_show(core->daemon, text_of(prefix), f), errbuf, errlen);
}

char *iplb_core_topology_text(const struct iplb_core *core)
{
	return c_string(iplb::topology_to_text(*core->daemon.topology()));
}

char *iplb_core_topology_json(const struct iplb_core *core)
{
	return c_string(iplb::topology_to_json(*core->daemon.topology()));
}

void iplb_core_status(const struct iplb_core *core, struct iplb_status *status)
{
	const auto uptime = core->daemon.status().uptime();

	*status = {};
	copy_text(IPLB_VERSION, status->version, sizeof(status->version));
	copy_text(iplb::to_string(core->daemon.status().role()), status->role,
		  sizeof(status->role));
	status->uptime_sec = static_cast<uint64_t>(uptime.count());
	copy_text(iplb::format_uptime(uptime), status->uptime, sizeof(status->uptime));
	fill_lsdb_status(core->daemon.lsdb(), status->lsdb);
	fill_topology_status(core->daemon, status->topology);
	fill_table_status(core->daemon, status->table);
}

} // extern "C"
