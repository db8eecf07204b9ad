// SPDX-License-Identifier: GPL-2.0-or-later
#include "pipeline/host_pipeline.hpp"

#include "paths/yen.hpp"
#include "pipeline/table_format.hpp"

#include <algorithm>
#include <set>

namespace iplb {

namespace {

bool inside(const Ipv4Prefix &inner, const Ipv4Prefix &outer)
{
	return inner.length >= outer.length && outer.contains(inner.address);
}

// The datapath's table, each write and removal logged (debug iplb datapath).
class LoggedTable : public RouteTable {
public:
	LoggedTable(RouteTable &table, const LogSink &log) : table_(table), log_(log) {}

	Result<std::vector<RouteSpec>, Error> routes() const override { return table_.routes(); }
	Status put(const RouteSpec &route) override
	{
		auto s = table_.put(route);
		log_(LogLevel::debug,
		     (s ? "datapath: wrote " : "datapath: failed to write ") + route_text(route));
		return s;
	}
	Status remove(const IpPrefix &prefix) override
	{
		auto s = table_.remove(prefix);
		log_(LogLevel::debug, (s ? "datapath: removed " : "datapath: failed to remove ") +
					      to_string(prefix));
		return s;
	}

private:
	RouteTable &table_;
	const LogSink &log_;
};

std::chrono::microseconds since(std::chrono::steady_clock::time_point start)
{
	return std::chrono::duration_cast<std::chrono::microseconds>(
		std::chrono::steady_clock::now() - start);
}

} // namespace

Status validate(const PipelineConfig &config)
{
	const auto check_k = [](unsigned k, const std::string &what) -> Status {
		if (k == 0 || k > KShortestPaths::max_k)
			return unexpected(Error{what + "k must be in 1-" +
						std::to_string(KShortestPaths::max_k) + ", not " +
						std::to_string(k)});
		return ok();
	};
	if (auto ok = check_k(config.defaults.k, ""); !ok)
		return ok;
	if (config.max_relays == 0 || config.max_relays > max_relays_per_list)
		return unexpected(
			Error{"max relays must be in 1-" + std::to_string(max_relays_per_list) +
			      " (the datapath's limit), not " + std::to_string(config.max_relays)});
	std::set<Ipv4Prefix> seen;
	for (const PrefixPolicy &p : config.policies) {
		const std::string what = "prefix " + to_string(p.prefix) + ": ";
		if (!seen.insert(p.prefix).second)
			return unexpected(Error{what + "more than one policy"});
		if (p.k)
			if (auto ok = check_k(*p.k, what); !ok)
				return ok;
		if (p.weights.size() > max_lists_per_route)
			return unexpected(Error{what + "more weights than lists (at most " +
						std::to_string(max_lists_per_route) + ")"});
		for (uint16_t w : p.weights)
			if (w == 0)
				return unexpected(Error{what + "a weight must be at least 1"});
	}
	std::set<IpPrefix> statics;
	for (const RouteSpec &route : config.static_routes) {
		if (!statics.insert(route.prefix).second)
			return unexpected(
				Error{"static route " + to_string(route.prefix) + " given twice"});
		// What a table entry can be: list count, relay count, families.
		if (auto valid = validate(route); !valid)
			return unexpected(Error{"static route " + to_string(route.prefix) + ": " +
						valid.error().message});
	}
	if (config.capacity && config.static_routes.size() > *config.capacity)
		return unexpected(Error{std::to_string(config.static_routes.size()) +
					" static routes: more than the datapath's table holds (" +
					std::to_string(*config.capacity) +
					" destinations, static routes included)"});
	return ok();
}

void Duration::add(std::chrono::microseconds took)
{
	last = took;
	max = std::max(max, took);
	total += took;
	count++;
}

std::chrono::microseconds Duration::average() const
{
	return count == 0 ? std::chrono::microseconds{0}
			  : total / static_cast<std::chrono::microseconds::rep>(count);
}

Status HostPipeline::set_config(const PipelineConfig &config)
{
	if (auto ok = validate(config); !ok)
		return ok;
	if (config.defaults.k != config_.defaults.k ||
	    config.defaults.metric != config_.defaults.metric)
		all_.reset(); // the engine's paths are for other options
	config_ = config;
	return ok();
}

void HostPipeline::set_source(std::optional<Ipv4> router_id)
{
	if (router_id != source_)
		all_.reset();
	source_ = router_id;
}

bool HostPipeline::selected(const Ipv4Prefix &prefix) const
{
	const auto in = [&](const std::vector<Ipv4Prefix> &list) {
		return std::any_of(list.begin(), list.end(),
				   [&](const Ipv4Prefix &p) { return inside(prefix, p); });
	};
	if (!config_.prefix_list.empty() && prefix_list_check_ &&
	    !prefix_list_check_(config_.prefix_list, prefix))
		return false;
	return (config_.include.empty() || in(config_.include)) && !in(config_.exclude);
}

Result<PrefixView, Error> HostPipeline::destination(const Topology &topology,
						    Topology::Vertex source,
						    const Ipv4Prefix &prefix,
						    CostTreeCache &trees) const
{
	const auto policy = std::find_if(config_.policies.begin(), config_.policies.end(),
					 [&](const PrefixPolicy &p) { return p.prefix == prefix; });
	const PrefixPolicy *over = policy == config_.policies.end() ? nullptr : &*policy;
	const unsigned k = over && over->k ? *over->k : config_.defaults.k;
	const Planner planner = over && over->planner ? *over->planner : config_.defaults.planner;

	PrefixView view;
	view.prefix = prefix;
	const auto routes = topology.routes_to(prefix);
	if (routes.size() == 1 && all_ && all_topology_.get() == &topology) {
		// One announcing router: the engine already has its paths.
		const auto &found = all_->by_target[routes.front().vertex];
		const size_t n = std::min<size_t>(k, found.size());
		view.paths.paths.assign(found.begin(), found.begin() + static_cast<ptrdiff_t>(n));
		for (Path &p : view.paths.paths)
			(config_.defaults.metric == Metric::cost ? p.key.primary
								 : p.key.secondary) +=
				routes.front().cost;
		view.paths.plans = plan_relays(topology, trees, view.paths.paths, planner);
	} else {
		// Several (anycast): ranked together, as desired_table() does.
		auto paths = paths_to_prefix(topology, source, prefix, k, config_.defaults.metric,
					     planner, trees);
		if (!paths)
			return unexpected(paths.error());
		view.paths = std::move(*paths);
	}

	view.route.prefix = prefix;
	view.route.mtu = config_.mtu;
	view.route.encap = over && over->encap ? *over->encap : config_.defaults.encap;
	view.route.selection =
		over && over->selection ? *over->selection : config_.defaults.selection;
	for (RelayList &list : relay_lists(topology, view.paths)) {
		if (list.relays.size() > config_.max_relays) {
			view.lists_too_long++;
			continue;
		}
		if (over && view.route.lists.size() < over->weights.size())
			list.weight = over->weights[view.route.lists.size()];
		view.route.lists.push_back(std::move(list));
	}
	return view;
}

Result<std::vector<RouteSpec>, Error> HostPipeline::compute(const TopologySnapshot &snapshot)
{
	const Topology &topology = *snapshot;
	const auto source = topology.find(*source_);
	if (!source)
		return unexpected(
			Error{"router " + to_string(*source_) + " is not in the topology"});

	EngineOptions options;
	options.k = config_.defaults.k;
	for (const PrefixPolicy &p : config_.policies)
		options.k = std::max(options.k, p.k.value_or(0));
	options.metric = config_.defaults.metric;

	const bool incremental = all_ && all_topology_ && all_->options.k == options.k &&
				 all_->options.metric == options.metric;
	auto all = incremental ? recompute_all_paths(*all_topology_, *all_, topology)
			       : compute_all_paths(topology, *source, options);
	if (!all)
		return unexpected(all.error());
	counters_.incremental += incremental ? 1 : 0;
	counters_.engine.searched += all->counters.searched;
	counters_.engine.derived += all->counters.derived;
	counters_.engine.reused += all->counters.reused;
	all_ = std::move(*all);
	all_topology_ = snapshot;

	std::map<IpPrefix, RouteSpec> table;
	CostTreeCache trees(topology);
	for (const Ipv4Prefix &prefix : destination_prefixes(topology, *source)) {
		if (!selected(prefix))
			continue;
		auto view = destination(topology, *source, prefix, trees);
		if (!view)
			return unexpected(view.error());
		counters_.lists_too_long += view->lists_too_long;
		if (debug_paths_ && log_)
			log_(LogLevel::debug, "paths: " + std::to_string(view->paths.paths.size()) +
						      " to " + route_text(view->route));
		if (view->route.lists.empty())
			continue; // unreachable, or every list too long: the normal route decides
		table.emplace(view->route.prefix, std::move(view->route));
	}
	for (const RouteSpec &route : config_.static_routes)
		table.insert_or_assign(route.prefix, route);

	std::vector<RouteSpec> out;
	out.reserve(table.size());
	for (auto &[prefix, route] : table)
		out.push_back(std::move(route));
	return out;
}

void HostPipeline::run(const TopologySnapshot &topology)
{
	topology_ = topology;
	if (!topology_)
		return;
	const auto source = source_ ? topology_->find(*source_) : std::nullopt;
	bool linked = false;
	if (source)
		topology_->for_each_out(*source,
					[&](Topology::Vertex, uint32_t) { linked = true; });
	if (!linked) {
		// Before the LSDB sync, while our own router LSA is missing, or
		// while it has no adjacency yet (ospfd just restarted): an empty
		// table would be wrong, the last one is the best we have.
		counters_.skipped_no_source++;
		return;
	}
	const auto start = std::chrono::steady_clock::now();
	auto table = compute(topology_);
	counters_.compute.add(since(start));
	if (!table) {
		counters_.compute_errors++;
		counters_.last_error = table.error().message;
		log(LogLevel::error,
		    "table not computed, keeping the previous one: " + table.error().message);
		return;
	}
	counters_.recomputes++;
	computed_ = true;
	fit_capacity(std::move(*table));
	if (debug_paths_)
		log(LogLevel::debug,
		    "table computed: " + std::to_string(desired_.size() + left_out_.size()) +
			    " prefixes in " + std::to_string(counters_.compute.last.count()) +
			    " us");
	sync();
}

void HostPipeline::fit_capacity(std::vector<RouteSpec> table)
{
	std::set<IpPrefix> statics;
	for (const RouteSpec &route : config_.static_routes)
		statics.insert(route.prefix);
	auto admission = admit(std::move(table), statics, config_.capacity);
	desired_ = std::move(admission.admitted);
	left_out_ = std::move(admission.left_out);
}

void HostPipeline::rerun()
{
	if (topology_)
		run(topology_);
}

size_t HostPipeline::resync()
{
	if (table_ == nullptr || !computed_)
		return 0;
	// Errors were logged when the table was computed; they stay counted
	// there, not once a second. What is installed is what this sync found
	// or wrote: a write that failed then and succeeds now is installed.
	auto result = sync_table(*table_, desired_, config_.capacity);
	note_sync(&result);
	if (!result)
		return 0;
	const size_t changed = result->put + result->removed;
	counters_.routes_written += result->put;
	counters_.routes_removed += result->removed;
	counters_.records_repaired += changed;
	if (changed > 0)
		log(LogLevel::warning, "datapath table differed from the computed one: " +
					       std::to_string(result->put) + " written, " +
					       std::to_string(result->removed) + " removed");
	return changed;
}

void HostPipeline::sync()
{
	if (!computed_)
		return;
	if (table_ == nullptr) {
		note_sync(nullptr);
		return;
	}
	const auto start = std::chrono::steady_clock::now();
	std::optional<LoggedTable> logged;
	if (debug_datapath_ && datapath_log_)
		logged.emplace(*table_, datapath_log_);
	auto result = sync_table(logged ? static_cast<RouteTable &>(*logged) : *table_, desired_,
				 config_.capacity);
	counters_.sync.add(since(start));
	counters_.syncs++;
	note_sync(&result);
	if (!result) {
		counters_.sync_errors++;
		counters_.last_error = result.error().message;
		log(LogLevel::error,
		    "datapath table not read, nothing written: " + result.error().message);
		return;
	}
	counters_.routes_written += result->put;
	counters_.routes_removed += result->removed;
	if (result->put == 0 && result->removed == 0)
		counters_.without_changes++;
	for (const std::string &error : result->errors) {
		counters_.sync_errors++;
		counters_.last_error = error;
		log(LogLevel::error, "datapath: " + error);
	}
	if (result->put + result->removed > 0)
		log(LogLevel::info, "datapath table: " + std::to_string(result->put) +
					    " written, " + std::to_string(result->removed) +
					    " removed, " + std::to_string(result->unchanged) +
					    " unchanged");
}

void HostPipeline::note_sync(const Result<SyncResult, Error> *result)
{
	const TableFill before = fill_;
	not_installed_.clear();
	for (const RouteSpec &route : left_out_)
		not_installed_.push_back({route.prefix, NotInstalledReason::table_full, {}});
	size_t failed = 0;
	if (result && !*result) {
		// Nothing was written; what the table holds is unknown.
		failed = desired_.size();
		for (const RouteSpec &route : desired_)
			not_installed_.push_back(
				{route.prefix, NotInstalledReason::write_failed,
				 "the table could not be read: " + result->error().message});
	} else if (result) {
		failed = (*result)->not_written.size();
		for (const NotWritten &w : (*result)->not_written)
			not_installed_.push_back(
				{w.prefix, NotInstalledReason::write_failed, w.error});
	}
	std::sort(not_installed_.begin(), not_installed_.end(),
		  [](const NotInstalled &a, const NotInstalled &b) { return a.prefix < b.prefix; });

	fill_.capacity = config_.capacity;
	fill_.destinations = desired_.size() + left_out_.size();
	fill_.installed = result ? desired_.size() - failed : 0;
	fill_.table_full = left_out_.size();
	fill_.write_failed = failed;
	if (fill_.table_full != before.table_full || fill_.capacity != before.capacity) {
		if (fill_.full())
			log(LogLevel::warning, "table full: " + std::to_string(fill_.table_full) +
						       " destinations not installed (capacity " +
						       std::to_string(*fill_.capacity) + ", " +
						       std::to_string(fill_.destinations) +
						       " destinations)");
		else if (before.full())
			log(LogLevel::info,
			    "table no longer full: " + std::to_string(fill_.destinations) +
				    " destinations, all of them fit");
	}
}

Result<PrefixView, Error> HostPipeline::explain(const Ipv4Prefix &prefix) const
{
	if (!topology_ || !source_)
		return unexpected(Error{"no topology yet"});
	const auto source = topology_->find(*source_);
	if (!source)
		return unexpected(
			Error{"router " + to_string(*source_) + " is not in the topology"});
	const auto left_out = [&]() -> std::optional<NotInstalled> {
		const auto it = std::lower_bound(
			not_installed_.begin(), not_installed_.end(), IpPrefix{prefix},
			[](const NotInstalled &e, const IpPrefix &p) { return e.prefix < p; });
		if (it != not_installed_.end() && it->prefix == IpPrefix{prefix})
			return *it;
		return std::nullopt;
	};
	for (const RouteSpec &route : config_.static_routes)
		if (route.prefix == IpPrefix{prefix}) {
			PrefixView view;
			view.prefix = prefix;
			view.route = route;
			view.is_static = true;
			view.not_installed = left_out();
			return view;
		}
	const auto routes = topology_->routes_to(prefix);
	if (routes.empty())
		return unexpected(Error{to_string(prefix) + " is not announced in the topology"});
	if (!selected(prefix))
		return unexpected(Error{to_string(prefix) +
					" is not a destination (excluded by the configuration)"});
	CostTreeCache trees(*topology_);
	// The engine's paths are of the last run's topology, which this is.
	auto view = destination(*topology_, *source, prefix, trees);
	if (view)
		view->not_installed = left_out();
	return view;
}

} // namespace iplb
