// SPDX-License-Identifier: GPL-2.0-or-later
// The load balancer's control plane at scale (docs/BENCHMARKS.md, "Load
// balancer: the control plane"; issue 16, "Scale, measured"):
//
// 1. How long a pool change takes: from the put of config/<vip> (a backend
//    added) until every mux forwards with the new generation (its datapath's
//    active generation is the committed one), with N muxes. One Controller
//    and N MuxAgents in this process against a real 3-member etcd
//    (tests/cluster/etcd_cluster), each agent with its own etcd client,
//    watch and thread, as N muxes would have; their datapaths are in-memory
//    recorders with MuxMaps' rules that note when each generation was staged
//    and activated. A watch of this program's own on the prefix notes when
//    the prepared version, each ack and the commit were delivered, so the
//    time splits into the two-phase commit's steps.
// 2. etcd writes per change: the store's revision after the change settled
//    less the config put's revision (etcd adds one per write transaction),
//    against 1 (prepared, with status) + N (acks) + 1 (commit).
// 3. What one mux loads: a real MuxProgram::load() (root), maps of B buckets
//    for 1, 16 and 64 VIPs as far as the bucket table holds them (two slots of
//    B per VIP), MuxMaps::stage() + activate() timed per VIP and in all; and
//    the JSON size of one stored map version (lbcontrol::encode) for B with
//    10 and 100 backends.
//
// A benchmark: it reports what it saw, it asserts no timing.
#include "etcd_cluster.hpp"

#include "datapath/lb_programs.hpp"
#include "lbcontrol/controller.hpp"
#include "lbcontrol/mux_agent.hpp"
#include "lbcontrol/plan.hpp"
#include "lbcontrol/schema.hpp"

#include "iplb_lb_layout.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/utsname.h>
#include <unistd.h>

namespace iplb::lbcontrol {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using json = nlohmann::ordered_json;
using cluster::Revision;

const char *const usage =
	"usage: iplb-lb-control-bench [--muxes N,N...] [--changes C] [--quick] [--json FILE|-]\n"
	"  --muxes N,...  mux counts for the change latency and the writes (default 2,100)\n"
	"  --changes C    pool changes per mux count (default 10)\n"
	"  --quick        --muxes 2,20 --changes 3, maps of 4096 and 16384 buckets only\n"
	"  --json FILE    also write the results as JSON (-: to stdout, instead of the tables)\n"
	"The map part needs root (MuxProgram::load()); it is skipped otherwise.\n";

struct Options {
	std::vector<size_t> muxes{2, 100};
	size_t changes = 10;
	bool quick = false;
	std::optional<std::string> json_path;
};

[[noreturn]] void bad_usage(const std::string &why)
{
	std::fprintf(stderr, "iplb-lb-control-bench: %s\n%s", why.c_str(), usage);
	std::exit(2);
}

size_t parse_count(const std::string &text)
{
	char *end = nullptr;
	const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
	if (text.empty() || *end != '\0' || v == 0 || v > 100000)
		bad_usage("not a count: " + text);
	return static_cast<size_t>(v);
}

Options parse(int argc, char **argv)
{
	Options o;
	bool muxes_given = false, changes_given = false;
	for (int i = 1; i < argc; i++) {
		const std::string w = argv[i];
		if (w == "--help" || w == "-h") {
			std::printf("%s", usage);
			std::exit(0);
		}
		if (w == "--quick") {
			o.quick = true;
			continue;
		}
		if (i + 1 >= argc || (w != "--muxes" && w != "--changes" && w != "--json"))
			bad_usage("unknown or incomplete option: " + w);
		const std::string value = argv[++i];
		if (w == "--json") {
			o.json_path = value;
		} else if (w == "--changes") {
			o.changes = parse_count(value);
			changes_given = true;
		} else {
			o.muxes.clear();
			size_t start = 0;
			while (start <= value.size()) {
				const size_t comma = std::min(value.find(',', start), value.size());
				o.muxes.push_back(parse_count(value.substr(start, comma - start)));
				start = comma + 1;
			}
			muxes_given = true;
		}
	}
	if (o.quick && !muxes_given)
		o.muxes = {2, 20};
	if (o.quick && !changes_given)
		o.changes = 3;
	return o;
}

double ms_between(Clock::time_point from, Clock::time_point to)
{
	return std::chrono::duration<double, std::milli>(to - from).count();
}

struct Stats {
	double min = 0, median = 0, max = 0;
};

Stats stats(std::vector<double> v)
{
	if (v.empty())
		return {};
	std::sort(v.begin(), v.end());
	const size_t n = v.size();
	const double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return {v.front(), median, v.back()};
}

json stats_json(const std::vector<double> &v)
{
	if (v.empty())
		return nullptr;
	const Stats s = stats(v);
	return {{"min", s.min}, {"median", s.median}, {"max", s.max}};
}

std::string fixed(double v, int digits = 1)
{
	char buffer[64];
	std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
	return buffer;
}

std::string min_median_max(const std::vector<double> &v, int digits = 1)
{
	if (v.empty())
		return "-";
	const Stats s = stats(v);
	return fixed(s.min, digits) + " / " + fixed(s.median, digits) + " / " +
	       fixed(s.max, digits);
}

// A mux datapath with MuxMaps' rules (stage into the slot packets do not
// read, refused unless newer than the active generation; activate only what
// is staged), after tests/cluster/lb_control_test.cpp's recorder, noting
// when each generation was staged and activated: the agents' view of time,
// independent of how often the benchmark looks.
class TimedDataplane : public MuxDataplane {
public:
	Status stage(const VipId &vip, const MapVersion &version) override
	{
		const auto now = Clock::now();
		std::lock_guard lock(mutex_);
		auto &slots = vips_[vip];
		if (slots.active && version.generation() <= *slots.active)
			return unexpected(Error{"generation not newer"});
		slots.staged = version.generation();
		staged_at_.try_emplace(version.generation(), now);
		return ok();
	}
	Status activate(const VipId &vip, uint32_t generation) override
	{
		const auto now = Clock::now();
		std::lock_guard lock(mutex_);
		auto &slots = vips_[vip];
		if (slots.active && *slots.active == generation)
			return ok();
		if (!slots.staged || *slots.staged != generation)
			return unexpected(Error{"generation " + std::to_string(generation) +
						" is not staged"});
		slots.active = generation;
		slots.staged.reset();
		activated_at_.try_emplace(generation, now);
		return ok();
	}
	Status remove(const VipId &vip) override
	{
		std::lock_guard lock(mutex_);
		vips_.erase(vip);
		return ok();
	}
	Result<std::map<VipId, InstalledGenerations>, Error> installed() const override
	{
		std::lock_guard lock(mutex_);
		std::map<VipId, InstalledGenerations> out;
		for (const auto &[vip, slots] : vips_)
			out[vip] = InstalledGenerations{slots.active.value_or(0), slots.staged};
		return out;
	}

	std::optional<Clock::time_point> staged_at(uint32_t generation) const
	{
		std::lock_guard lock(mutex_);
		const auto it = staged_at_.find(generation);
		return it == staged_at_.end() ? std::nullopt : std::optional(it->second);
	}
	std::optional<Clock::time_point> activated_at(uint32_t generation) const
	{
		std::lock_guard lock(mutex_);
		const auto it = activated_at_.find(generation);
		return it == activated_at_.end() ? std::nullopt : std::optional(it->second);
	}

private:
	struct Slots {
		std::optional<uint32_t> active, staged;
	};
	mutable std::mutex mutex_;
	std::map<VipId, Slots> vips_;
	std::map<uint32_t, Clock::time_point> staged_at_, activated_at_;
};

// No health checks configured: nothing to observe.
class NoHealth : public HealthMonitor {
public:
	void set_checks(const std::map<VipId, VipConfig> &) override {}
	std::map<lb::Dip, Health> observed(const VipId &) const override { return {}; }
	void set_on_change(std::function<void()>) override {}
};

// When this program's own watch was handed each step of a generation's
// commit (etcd's delivery to one more watcher, like the agents').
class Observer {
public:
	struct Seen {
		std::optional<Clock::time_point> prepared, committed;
		std::vector<Clock::time_point> acks;
	};

	Observer(cluster::EtcdClient &client, const Keys &keys) : keys_(keys)
	{
		watch_ = client.watch_prefix(
			keys.prefix, 0, [this](const cluster::WatchEvent &event) { on(event); });
	}
	// Which kinds of key each write transaction in (after, upto] touched
	// ("prepared+status", "ack", "map+prepared", ...), counted by kind.
	std::map<std::string, size_t> writes(Revision after, Revision upto) const
	{
		std::lock_guard lock(mutex_);
		std::map<std::string, size_t> out;
		for (auto it = kinds_.upper_bound(after); it != kinds_.end() && it->first <= upto;
		     ++it) {
			std::string name;
			for (const std::string &kind : it->second)
				name += (name.empty() ? "" : "+") + kind;
			out[name]++;
		}
		return out;
	}
	Seen seen(uint32_t generation) const
	{
		std::lock_guard lock(mutex_);
		const auto it = seen_.find(generation);
		return it == seen_.end() ? Seen{} : it->second;
	}

private:
	void on(const cluster::WatchEvent &event)
	{
		const auto now = Clock::now();
		const ParsedKey key = parse_key(keys_, event.kv.key);
		std::lock_guard lock(mutex_);
		// A transaction's operations share its revision.
		kinds_[event.kv.mod_revision].insert(
			std::string(event.type == cluster::WatchEvent::Type::erase ? "-" : "") +
			kind_name(key.kind));
		if (event.type != cluster::WatchEvent::Type::put)
			return;
		if (key.kind == ParsedKey::Kind::prepared || key.kind == ParsedKey::Kind::map) {
			const auto version = decode_map_version(event.kv.value);
			if (!version)
				return;
			auto &seen = seen_[version->generation()];
			(key.kind == ParsedKey::Kind::prepared ? seen.prepared : seen.committed) =
				now;
		} else if (key.kind == ParsedKey::Kind::ack) {
			const auto ack = decode_ack(event.kv.value);
			if (ack)
				seen_[ack->generation].acks.push_back(now);
		}
	}

	static const char *kind_name(ParsedKey::Kind kind)
	{
		switch (kind) {
		case ParsedKey::Kind::config:
			return "config";
		case ParsedKey::Kind::status:
			return "status";
		case ParsedKey::Kind::prepared:
			return "prepared";
		case ParsedKey::Kind::map:
			return "map";
		case ParsedKey::Kind::ack:
			return "ack";
		case ParsedKey::Kind::mux:
			return "mux";
		case ParsedKey::Kind::backend:
			return "backend";
		case ParsedKey::Kind::leader:
			return "leader";
		case ParsedKey::Kind::other:
			break;
		}
		return "other";
	}

	Keys keys_;
	mutable std::mutex mutex_;
	std::map<uint32_t, Seen> seen_;
	std::map<Revision, std::set<std::string>> kinds_;
	std::unique_ptr<cluster::EtcdWatch> watch_;
};

lb::Dip dip_number(size_t i)
{
	// 10.0.<hi>.<lo>, from 10.0.1.1: distinct for the thousands of DIPs used.
	const size_t n = 256 + 1 + i;
	return lb::parse_dip("10.0." + std::to_string(n / 256) + "." + std::to_string(n % 256))
		.value();
}

VipConfig vip_config(const VipId &vip, uint32_t buckets, size_t backends)
{
	VipConfig config;
	config.vip = vip;
	config.bucket_count = buckets;
	for (size_t i = 0; i < backends; i++)
		config.backends.push_back({dip_number(i), 1, false});
	return config;
}

// One run of the change-latency part with N muxes.
struct ChangeRun {
	size_t muxes = 0;
	bool ok = false;
	std::string error;
	double start_seconds = 0; // until every agent registered and the leader saw them
	std::vector<double> to_prepared, to_staged, to_acked, to_committed, to_active;
	std::vector<double> writes;
	std::map<std::string, size_t> write_kinds; // over every measured change
	uint64_t commits_incomplete = 0;
	size_t threads = 0; // of this process while the agents ran
};

size_t thread_count()
{
	std::ifstream status("/proc/self/status");
	std::string line;
	while (std::getline(status, line))
		if (line.rfind("Threads:", 0) == 0)
			return static_cast<size_t>(std::strtoul(line.c_str() + 8, nullptr, 10));
	return 0;
}

template <typename F>
bool eventually(std::chrono::milliseconds timeout, std::chrono::milliseconds period, F condition)
{
	const auto deadline = Clock::now() + timeout;
	while (!condition()) {
		if (Clock::now() >= deadline)
			return false;
		std::this_thread::sleep_for(period);
	}
	return true;
}

Revision store_revision(cluster::EtcdClient &client, const Keys &keys)
{
	// A range read's header carries the store's revision.
	auto range = client.get_prefix(keys.leader());
	if (!range)
		throw std::runtime_error("etcd read: " + range.error().message);
	return range->revision;
}

// The revision once nothing has been written for half a second: a change's
// writes are over (lease keep-alives write nothing).
Revision settled_revision(cluster::EtcdClient &client, const Keys &keys)
{
	Revision last = store_revision(client, keys);
	for (int quiet = 0; quiet < 5;) {
		std::this_thread::sleep_for(100ms);
		const Revision now = store_revision(client, keys);
		quiet = now == last ? quiet + 1 : 0;
		last = now;
	}
	return last;
}

ChangeRun run_changes(const std::vector<std::string> &endpoints, size_t n, size_t changes)
{
	ChangeRun run;
	run.muxes = n;
	const Keys keys{"/iplb-bench/muxes-" + std::to_string(n) + "/"};
	const VipId vip{parse_ip_address("192.0.2.10").value(), 6, 80};
	cluster::EtcdClient client(endpoints);
	Observer observer(client, keys);

	std::vector<std::unique_ptr<TimedDataplane>> dataplanes;
	std::vector<std::unique_ptr<MuxAgent>> agents;
	std::unique_ptr<Controller> controller;
	const auto start = Clock::now();
	{
		ControllerOptions options; // lease TTL 5 s, ack timeout 5 s: the defaults
		options.name = "controller";
		options.prefix = keys.prefix;
		controller = std::make_unique<Controller>(endpoints, options,
							  std::make_unique<NoHealth>());
	}
	for (size_t i = 0; i < n; i++) {
		dataplanes.push_back(std::make_unique<TimedDataplane>());
		MuxAgentOptions options;
		options.name = "mux" + std::to_string(i);
		options.prefix = keys.prefix;
		agents.push_back(
			std::make_unique<MuxAgent>(endpoints, options, *dataplanes.back()));
	}
	auto stop_all = [&] {
		agents.clear();
		controller.reset();
	};
	const bool started = eventually(120s, 50ms, [&] {
		const auto view = controller->view();
		if (!view.leader || view.muxes.size() != n)
			return false;
		return std::all_of(agents.begin(), agents.end(),
				   [](const auto &agent) { return agent->view().registered; });
	});
	run.start_seconds = std::chrono::duration<double>(Clock::now() - start).count();
	run.threads = thread_count();
	if (!started) {
		size_t registered = 0;
		for (const auto &agent : agents)
			registered += agent->view().registered;
		const auto view = controller->view();
		run.error = "after 120 s: " + std::to_string(registered) + " of " +
			    std::to_string(n) + " muxes registered, the controller " +
			    (view.leader ? "leads" : "does not lead") + " and sees " +
			    std::to_string(view.muxes.size()) + " muxes" +
			    (view.etcd_error.empty() ? "" : " (" + view.etcd_error + ")");
		stop_all();
		return run;
	}

	// Generation 1 (the VIP's first map) is set up, not measured.
	const uint32_t buckets = 4096;
	size_t backends = 2;
	auto all_active = [&](uint32_t generation) {
		return std::all_of(dataplanes.begin(), dataplanes.end(), [&](const auto &d) {
			return d->activated_at(generation).has_value();
		});
	};
	for (uint32_t generation = 1; generation <= changes + 1; generation++) {
		const VipConfig config = vip_config(vip, buckets, backends++);
		const Revision before = settled_revision(client, keys);
		(void)before;
		const auto t0 = Clock::now();
		const auto put = client.put(keys.config(vip), encode(config));
		if (!put) {
			run.error = "put config: " + put.error().message;
			break;
		}
		if (!eventually(30s, 1ms, [&] { return all_active(generation); })) {
			run.error = "generation " + std::to_string(generation) +
				    " did not reach every mux within 30 s";
			break;
		}
		const Revision after = settled_revision(client, keys);
		if (generation == 1)
			continue;
		Clock::time_point staged = t0, active = t0;
		for (const auto &d : dataplanes) {
			staged = std::max(staged, d->staged_at(generation).value_or(t0));
			active = std::max(active, d->activated_at(generation).value_or(t0));
		}
		const Observer::Seen seen = observer.seen(generation);
		if (seen.prepared)
			run.to_prepared.push_back(ms_between(t0, *seen.prepared));
		run.to_staged.push_back(ms_between(t0, staged));
		if (!seen.acks.empty())
			run.to_acked.push_back(ms_between(
				t0, *std::max_element(seen.acks.begin(), seen.acks.end())));
		if (seen.committed)
			run.to_committed.push_back(ms_between(t0, *seen.committed));
		run.to_active.push_back(ms_between(t0, active));
		run.writes.push_back(static_cast<double>(after - *put));
		// The watch may lag the settled read by a little.
		eventually(2s, 10ms, [&] {
			size_t delivered = 0;
			for (const auto &[kind, count] : observer.writes(*put, after))
				delivered += count;
			return delivered >= static_cast<size_t>(after - *put);
		});
		for (const auto &[kind, count] : observer.writes(*put, after))
			run.write_kinds[kind] += count;
	}
	run.commits_incomplete = controller->view().commits_incomplete;
	run.ok = run.error.empty();
	stop_all();
	return run;
}

// --- What one mux loads -----------------------------------------------------

LbBackendState to_lb_state(lb::BackendState state)
{
	switch (state) {
	case lb::BackendState::active:
		return LbBackendState::active;
	case lb::BackendState::draining:
		return LbBackendState::draining;
	case lb::BackendState::down:
		return LbBackendState::down;
	}
	return LbBackendState::down;
}

// What the daemon's MuxMapsDataplane hands MuxMaps (roles/lb_mux_dataplane.cpp,
// to_lb_map_version), repeated here so that the benchmark needs no roles.
LbMapVersion to_lb_map_version(const MapVersion &version)
{
	LbMapVersion out;
	out.generation = version.generation();
	for (const lb::Backend &b : version.pool)
		out.pool.push_back({b.dip.address,
				    static_cast<uint16_t>(std::min<uint32_t>(
					    b.weight, std::numeric_limits<uint16_t>::max())),
				    to_lb_state(b.state)});
	out.buckets.reserve(version.map.buckets.size());
	for (const lb::Bucket &b : version.map.buckets)
		out.buckets.push_back(
			{b.owner ? std::optional(b.owner->address) : std::nullopt,
			 b.previous ? std::optional(b.previous->address) : std::nullopt,
			 b.changed_at});
	return out;
}

MapVersion first_version(const VipConfig &config)
{
	const uint32_t now = static_cast<uint32_t>(std::time(nullptr));
	const auto pool = effective_pool(config, VipStatus{}, std::nullopt, now);
	auto version = next_version(config, pool, std::nullopt, now);
	if (!version || !*version)
		throw std::runtime_error("next_version: " + (version ? std::string("nothing to do")
								     : version.error().message));
	return **version;
}

struct LoadRow {
	uint32_t buckets = 0;
	size_t vips = 0;      // asked for
	size_t installed = 0; // stage + activate succeeded
	std::string refused;  // the first refusal
	double program_load_ms = 0;
	std::vector<double> stage_ms, activate_ms, vip_ms;
	double total_ms = 0;
	// Then a pool change (one backend added: generation 2) for every VIP
	// installed: what a mux does at each commit.
	std::vector<double> update_stage_ms, update_activate_ms;
	double update_total_ms = 0;
};

struct SizeRow {
	uint32_t buckets = 0;
	size_t backends = 0;
	size_t bytes = 0;
	size_t runs = 0;
	double encode_ms = 0, decode_ms = 0;
	std::string refused; // a pool the bucket count cannot hold (check_vip_config)
};

size_t run_count(const lb::BucketMap &map)
{
	size_t runs = 0;
	for (size_t i = 0; i < map.buckets.size(); i++)
		runs += i == 0 || !(map.buckets[i] == map.buckets[i - 1]);
	return runs;
}

std::vector<SizeRow> measure_sizes(const std::vector<uint32_t> &bucket_counts)
{
	std::vector<SizeRow> rows;
	const VipId vip{parse_ip_address("192.0.2.10").value(), 6, 80};
	for (const uint32_t b : bucket_counts) {
		for (const size_t backends : {size_t{10}, size_t{100}}) {
			const VipConfig config = vip_config(vip, b, backends);
			if (const Status valid = check_vip_config(config); !valid) {
				rows.push_back({b, backends, 0, 0, 0, 0, valid.error().message});
				continue;
			}
			const MapVersion version = first_version(config);
			SizeRow row{b, backends, 0, run_count(version.map), 0, 0, {}};
			auto t = Clock::now();
			const std::string text = encode(version);
			row.encode_ms = ms_between(t, Clock::now());
			row.bytes = text.size();
			t = Clock::now();
			const auto decoded = decode_map_version(text);
			row.decode_ms = ms_between(t, Clock::now());
			if (!decoded || !(*decoded == version))
				throw std::runtime_error("a map of " + std::to_string(b) +
							 " buckets did not decode to itself");
			rows.push_back(row);
		}
	}
	return rows;
}

std::vector<LoadRow> measure_loads(const std::vector<uint32_t> &bucket_counts)
{
	std::vector<LoadRow> rows;
	const size_t counts[] = {1, 16, 64};
	for (const uint32_t b : bucket_counts) {
		// Two slots of B entries per VIP in one shared table.
		const size_t fit = IPLB_LB_MAX_BUCKET_ENTRIES / (2 * size_t{b});
		std::vector<size_t> tried;
		for (const size_t c : counts)
			if (c <= fit)
				tried.push_back(c);
		if (fit < counts[std::size(counts) - 1] &&
		    std::find(tried.begin(), tried.end(), fit) == tried.end())
			tried.push_back(fit);
		// One past what fits: the maps must refuse it, and say so.
		if (fit < counts[std::size(counts) - 1])
			tried.push_back(fit + 1);
		const VipId vip{parse_ip_address("192.0.2.10").value(), 6, 80};
		const MapVersion version = first_version(vip_config(vip, b, 10));
		const LbMapVersion lb_version = to_lb_map_version(version);
		LbMapVersion lb_next;
		{
			const uint32_t now = static_cast<uint32_t>(std::time(nullptr));
			const VipConfig config = vip_config(vip, b, 11);
			auto next = next_version(config,
						 effective_pool(config, VipStatus{}, version, now),
						 version, now);
			if (!next || !*next)
				throw std::runtime_error("next_version: no second version");
			lb_next = to_lb_map_version(**next);
		}
		for (const size_t vips : tried) {
			LoadRow row;
			row.buckets = b;
			row.vips = vips;
			auto t = Clock::now();
			auto program = MuxProgram::load();
			row.program_load_ms = ms_between(t, Clock::now());
			if (!program)
				throw std::runtime_error("MuxProgram::load(): " +
							 program.error().message);
			MuxMaps &maps = program->maps();
			const auto all = Clock::now();
			for (size_t i = 0; i < vips; i++) {
				const VipKey key{
					parse_ip_address("192.0.2." + std::to_string(10 + i))
						.value(),
					6, 80};
				const auto t0 = Clock::now();
				const auto staged = maps.stage(key, lb_version);
				const auto t1 = Clock::now();
				if (!staged) {
					row.refused = "VIP " + std::to_string(i + 1) + ": " +
						      staged.error().message;
					break;
				}
				const auto activated = maps.activate(key, lb_version.generation);
				const auto t2 = Clock::now();
				if (!activated) {
					row.refused = "VIP " + std::to_string(i + 1) +
						      " activate: " + activated.error().message;
					break;
				}
				row.stage_ms.push_back(ms_between(t0, t1));
				row.activate_ms.push_back(ms_between(t1, t2));
				row.vip_ms.push_back(ms_between(t0, t2));
				row.installed++;
			}
			row.total_ms = ms_between(all, Clock::now());
			const auto update = Clock::now();
			for (size_t i = 0; i < row.installed; i++) {
				const VipKey key{
					parse_ip_address("192.0.2." + std::to_string(10 + i))
						.value(),
					6, 80};
				const auto t0 = Clock::now();
				const auto staged = maps.stage(key, lb_next);
				const auto t1 = Clock::now();
				const auto activated =
					staged ? maps.activate(key, lb_next.generation)
					       : Status(unexpected(staged.error()));
				const auto t2 = Clock::now();
				if (!activated)
					throw std::runtime_error("generation 2 of " +
								 to_string(key) + ": " +
								 activated.error().message);
				row.update_stage_ms.push_back(ms_between(t0, t1));
				row.update_activate_ms.push_back(ms_between(t1, t2));
			}
			row.update_total_ms = ms_between(update, Clock::now());
			rows.push_back(row);
		}
	}
	return rows;
}

int run(const Options &o, const std::string &command)
{
	const std::vector<uint32_t> bucket_counts =
		o.quick ? std::vector<uint32_t>{4096, 16384}
			: std::vector<uint32_t>{4096, 16384, 65536};

	// etcd first: without it there is nothing to measure but the maps.
	auto started = cluster::testing::start_suite_cluster(3);
	std::vector<ChangeRun> change_runs;
	std::string etcd_note;
	if (!started.cluster) {
		etcd_note = !started.skip_reason.empty()
				    ? "skipped: " + started.skip_reason
				    : "etcd did not start: " + started.start_error;
		std::fprintf(stderr, "iplb-lb-control-bench: %s\n", etcd_note.c_str());
	} else {
		etcd_note = "3 members started in " + fixed(started.start_seconds, 2) + " s";
		for (const size_t n : o.muxes) {
			std::fprintf(stderr, "iplb-lb-control-bench: %zu muxes, %zu changes...\n",
				     n, o.changes);
			change_runs.push_back(
				run_changes(started.cluster->endpoints(), n, o.changes));
			if (!change_runs.back().ok)
				std::fprintf(stderr, "iplb-lb-control-bench: %zu muxes: %s\n", n,
					     change_runs.back().error.c_str());
		}
		started.cluster.reset();
	}

	std::fprintf(stderr, "iplb-lb-control-bench: map sizes and loads...\n");
	const std::vector<SizeRow> sizes = measure_sizes(bucket_counts);
	std::vector<LoadRow> loads;
	std::string load_note;
	if (::geteuid() != 0)
		load_note = "skipped: loading the mux program needs root (MuxProgram::load())";
	else
		loads = measure_loads(bucket_counts);

	utsname u{};
	::uname(&u);
	double load[3] = {0, 0, 0};
	::getloadavg(load, 3);

	json changes_json = json::array();
	for (const ChangeRun &r : change_runs)
		changes_json.push_back({{"muxes", r.muxes},
					{"ok", r.ok},
					{"error", r.error},
					{"start_seconds", r.start_seconds},
					{"process_threads", r.threads},
					{"changes", r.to_active.size()},
					{"to_prepared_ms", stats_json(r.to_prepared)},
					{"to_all_staged_ms", stats_json(r.to_staged)},
					{"to_all_acked_ms", stats_json(r.to_acked)},
					{"to_committed_ms", stats_json(r.to_committed)},
					{"to_all_active_ms", stats_json(r.to_active)},
					{"writes_per_change", stats_json(r.writes)},
					{"writes_formula", 1 + r.muxes + 1},
					{"write_transactions_by_keys", r.write_kinds},
					{"commits_incomplete", r.commits_incomplete},
					{"to_all_active_ms_each", r.to_active}});
	json sizes_json = json::array();
	for (const SizeRow &r : sizes)
		sizes_json.push_back({{"buckets", r.buckets},
				      {"backends", r.backends},
				      {"json_bytes", r.bytes},
				      {"runs", r.runs},
				      {"encode_ms", r.encode_ms},
				      {"decode_ms", r.decode_ms},
				      {"refused", r.refused}});
	json loads_json = json::array();
	for (const LoadRow &r : loads)
		loads_json.push_back({{"buckets", r.buckets},
				      {"vips", r.vips},
				      {"installed", r.installed},
				      {"refused", r.refused},
				      {"program_load_ms", r.program_load_ms},
				      {"stage_ms", stats_json(r.stage_ms)},
				      {"activate_ms", stats_json(r.activate_ms)},
				      {"per_vip_ms", stats_json(r.vip_ms)},
				      {"total_ms", r.total_ms},
				      {"update_stage_ms", stats_json(r.update_stage_ms)},
				      {"update_activate_ms", stats_json(r.update_activate_ms)},
				      {"update_total_ms", r.update_total_ms}});
	const json out = {{"tool", "iplb-lb-control-bench"},
			  {"command", command},
			  {"kernel", u.release},
			  {"cpus", std::thread::hardware_concurrency()},
			  {"load_average_1min", load[0]},
			  {"etcd", etcd_note},
			  {"lease_ttl_s", 5},
			  {"buckets_per_change", 4096},
			  {"changes", changes_json},
			  {"map_json", sizes_json},
			  {"max_bucket_entries", IPLB_LB_MAX_BUCKET_ENTRIES},
			  {"loads", loads_json},
			  {"loads_note", load_note}};
	if (o.json_path && *o.json_path != "-") {
		std::ofstream f(*o.json_path);
		f << out.dump(2) << "\n";
		if (!f)
			throw std::runtime_error("cannot write " + *o.json_path);
	}
	if (o.json_path && *o.json_path == "-") {
		std::printf("%s\n", out.dump(2).c_str());
		return 0;
	}

	std::printf("### The load balancer's control plane\n\n");
	std::printf("Command: `%s`\n\n", command.c_str());
	std::printf("Kernel %s, %u CPUs, load average at the end %.2f; etcd: %s. One "
		    "controller and N mux agents in this process (each its own etcd client, "
		    "watch and thread), lease TTL 5 s, ack timeout 5 s; a VIP of 4096 buckets, "
		    "each change adds a backend (from 2). Times in ms from the put of "
		    "config/<vip>, min / median / max over the changes; \"prepared\", \"acked\" "
		    "and \"committed\" are when this program's own watch was handed the "
		    "prepared version, the last ack and the commit; \"staged\" and \"active\" "
		    "when the last mux's datapath staged and activated the generation.\n\n",
		    u.release, std::thread::hardware_concurrency(), load[0], etcd_note.c_str());
	std::printf("| muxes | changes | prepared | all staged | all acked | committed | "
		    "**all active** | writes per change | 1 + N + 1 | commits without every "
		    "ack | threads | start s |\n");
	std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (const ChangeRun &r : change_runs) {
		if (!r.ok)
			std::printf("| %zu | failed: %s | | | | | | | | | %zu | %s |\n", r.muxes,
				    r.error.c_str(), r.threads, fixed(r.start_seconds, 1).c_str());
		if (r.to_active.empty())
			continue;
		std::printf("| %zu | %zu | %s | %s | %s | %s | **%s** | %s | %zu | %llu | %zu | "
			    "%s |\n",
			    r.muxes, r.to_active.size(), min_median_max(r.to_prepared).c_str(),
			    min_median_max(r.to_staged).c_str(), min_median_max(r.to_acked).c_str(),
			    min_median_max(r.to_committed).c_str(),
			    min_median_max(r.to_active).c_str(),
			    min_median_max(r.writes, 0).c_str(), r.muxes + 2,
			    static_cast<unsigned long long>(r.commits_incomplete), r.threads,
			    fixed(r.start_seconds, 1).c_str());
	}

	for (const ChangeRun &r : change_runs) {
		if (r.write_kinds.empty())
			continue;
		std::printf("\n%zu muxes, write transactions over the %zu changes, by the keys "
			    "they wrote (-: deleted):",
			    r.muxes, r.to_active.size());
		for (const auto &[kind, count] : r.write_kinds)
			std::printf(" %s %zu;", kind.c_str(), count);
		std::printf("\n");
	}

	std::printf("\nOne stored map version (`lbcontrol::encode(MapVersion)`, the first "
		    "version `next_version` makes), its JSON and the time to encode and "
		    "decode it:\n\n");
	std::printf("| buckets | backends | runs | JSON bytes | encode ms | decode ms |\n");
	std::printf("|---:|---:|---:|---:|---:|---:|\n");
	for (const SizeRow &r : sizes)
		if (!r.refused.empty())
			std::printf("| %u | %zu | refused: %s | | | |\n", r.buckets, r.backends,
				    r.refused.c_str());
		else
			std::printf("| %u | %zu | %zu | %zu | %s | %s |\n", r.buckets, r.backends,
				    r.runs, r.bytes, fixed(r.encode_ms, 2).c_str(),
				    fixed(r.decode_ms, 2).c_str());

	std::printf("\nOne mux's maps (a fresh `MuxProgram::load()` per row, 10 backends, "
		    "the bucket table holds %d entries, two slots of B per VIP): "
		    "`MuxMaps::stage()` + `activate()` per VIP, min / median / max ms, and "
		    "all VIPs in one pass.\n\n",
		    IPLB_LB_MAX_BUCKET_ENTRIES);
	if (!load_note.empty()) {
		std::printf("%s\n", load_note.c_str());
		return 0;
	}
	std::printf("| buckets | VIPs | installed | program load ms | new VIP: stage ms | "
		    "activate ms | per VIP ms | all ms | change: stage ms | activate ms | all "
		    "ms | refused |\n");
	std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
	for (const LoadRow &r : loads)
		std::printf("| %u | %zu | %zu | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			    r.buckets, r.vips, r.installed, fixed(r.program_load_ms).c_str(),
			    min_median_max(r.stage_ms, 2).c_str(),
			    min_median_max(r.activate_ms, 2).c_str(),
			    min_median_max(r.vip_ms, 2).c_str(), fixed(r.total_ms).c_str(),
			    min_median_max(r.update_stage_ms, 2).c_str(),
			    min_median_max(r.update_activate_ms, 3).c_str(),
			    fixed(r.update_total_ms).c_str(), r.refused.c_str());
	std::printf("\nA new VIP's activate zeroes its per-CPU bucket counters (one update per "
		    "bucket); a change's activate is one update of the VIP's record.\n");
	return 0;
}

} // namespace
} // namespace iplb::lbcontrol

int main(int argc, char **argv)
{
	const auto o = iplb::lbcontrol::parse(argc, argv);
	std::string command = argv[0];
	for (int i = 1; i < argc; i++)
		command += std::string(" ") + argv[i];
	try {
		return iplb::lbcontrol::run(o, command);
	} catch (const std::exception &e) {
		std::fprintf(stderr, "iplb-lb-control-bench: %s\n", e.what());
		return 1;
	}
}
