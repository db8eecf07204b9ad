// SPDX-License-Identifier: GPL-2.0-or-later
// iplb_show.h: every show command, as the core renders it (show/).
#include "capi/core_handle.hpp"
#include "capi/iplb_show.h"
#include "show/show.hpp"

using iplb::capi::c_string;
using iplb::capi::copy_text;
using iplb::capi::failure_of;
using iplb::capi::guarded;
using iplb::capi::text_of;

namespace {

iplb::GlueFacts facts_of(const iplb_glue_facts *glue)
{
	if (glue == nullptr)
		return {};
	return {std::string(text_of(glue->frr_version)), glue->zebra_connected};
}

// The text for the glue, or NULL and why.
char *handed_over(const std::string &text, char *errbuf, size_t errlen)
{
	char *out = c_string(text);
	if (out == nullptr)
		copy_text("out of memory", errbuf, errlen);
	return out;
}

constexpr char *none = nullptr;

} // namespace

extern "C" {

char *iplb_show_status(const struct iplb_core *core, const struct iplb_glue_facts *glue, bool json,
		       char *errbuf, size_t errlen)
{
	return guarded(failure_of(core, __func__, errbuf, errlen), none, [&] {
		const auto status = iplb::status_json(core->daemon, facts_of(glue));
		return handed_over(json ? status.dump() : iplb::status_text(status), errbuf,
				   errlen);
	});
}

char *iplb_show_lb_controller(const struct iplb_core *core, bool json, char *errbuf, size_t errlen)
{
	return guarded(failure_of(core, __func__, errbuf, errlen), none, [&] {
		const auto controller = iplb::lb_controller_json(core->daemon);
		return handed_over(json ? controller.dump() : iplb::lb_controller_text(controller),
				   errbuf, errlen);
	});
}

char *iplb_show_table(const struct iplb_core *core, bool json, char *errbuf, size_t errlen)
{
	return guarded(failure_of(core, __func__, errbuf, errlen), none, [&] {
		return handed_over(json ? iplb::table_json(core->daemon).dump()
					: iplb::table_text(core->daemon),
				   errbuf, errlen);
	});
}

char *iplb_show_counters(const struct iplb_core *core, bool json, char *errbuf, size_t errlen)
{
	return guarded(failure_of(core, __func__, errbuf, errlen), none, [&] {
		return handed_over(json ? iplb::counters_json(core->daemon).dump()
					: iplb::counters_text(core->daemon),
				   errbuf, errlen);
	});
}

char *iplb_show_paths(const struct iplb_core *core, const char *prefix,
		      enum iplb_paths_format format, char *errbuf, size_t errlen)
{
	return guarded(failure_of(core, __func__, errbuf, errlen), none, [&]() -> char * {
		const auto f = format == IPLB_PATHS_JSON  ? iplb::PathsFormat::json
			       : format == IPLB_PATHS_DOT ? iplb::PathsFormat::dot
							  : iplb::PathsFormat::text;
		auto text = iplb::paths_show(core->daemon, text_of(prefix), f);
		if (!text) {
			copy_text(text.error().message, errbuf, errlen);
			return nullptr;
		}
		return handed_over(*text, errbuf, errlen);
	});
}

char *iplb_show_topology(const struct iplb_core *core, bool json, char *errbuf, size_t errlen)
{
	return guarded(failure_of(core, __func__, errbuf, errlen), none, [&] {
		return handed_over(json ? iplb::topology_json(core->daemon)
					: iplb::topology_text(core->daemon),
				   errbuf, errlen);
	});
}

char *iplb_show_vips(const struct iplb_core *core, const struct iplb_glue_facts *glue, bool json,
		     char *errbuf, size_t errlen)
{
	return guarded(failure_of(core, __func__, errbuf, errlen), none, [&] {
		const auto facts = facts_of(glue);
		return handed_over(json ? iplb::vips_json(core->daemon, facts).dump()
					: iplb::vips_text(core->daemon, facts),
				   errbuf, errlen);
	});
}

void iplb_clear_counters(struct iplb_core *core)
{
	guarded(failure_of(core, __func__), [&] { core->daemon.clear_counters(); });
}

} // extern "C"
