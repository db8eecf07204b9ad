// SPDX-License-Identifier: GPL-2.0-or-later
#include "lbcontrol/mux_agent.hpp"

#include "lbcontrol/mirror.hpp"

#include <ctime>

namespace iplb::lbcontrol {

using steady = std::chrono::steady_clock;

MuxAgent::MuxAgent(std::vector<std::string> endpoints, MuxAgentOptions options,
		   MuxDataplane &dataplane, std::function<void()> on_change, LogSink log)
    : options_(std::move(options)), keys_{options_.prefix}, dataplane_(dataplane),
      on_change_(std::move(on_change)), log_(std::move(log)), cache_(log_),
      client_(std::move(endpoints), cluster::HttpTimeouts{std::chrono::milliseconds(1000),
							  std::chrono::milliseconds(3000)})
{
	mirror_ = std::make_unique<PrefixMirror>(client_, options_.prefix,
						 [this] { worker_.wake(); });
	counters_.name = options_.name;
	view_.name = options_.name;
	worker_.start([this] { run(); });
}

MuxAgent::~MuxAgent()
{
	stop();
	// Its watch thread wakes the worker: it goes first (members are
	// destroyed after this body, the worker before the mirror).
	mirror_.reset();
}

void MuxAgent::stop()
{
	worker_.stop();
}

MuxAgentView MuxAgent::view() const
{
	std::lock_guard lock(mutex_);
	return view_;
}

std::set<VipId> MuxAgent::servable() const
{
	std::lock_guard lock(mutex_);
	return servable_;
}

uint32_t MuxAgent::now() const
{
	return options_.clock ? options_.clock() : static_cast<uint32_t>(::time(nullptr));
}

void MuxAgent::run()
{
	next_retry_ = steady::now();
	while (true) {
		auto deadline = steady::now() + std::chrono::seconds(1);
		if (lease_ != 0)
			deadline = std::min(deadline, keepalive_.next());
		if (lease_ == 0 || !mirror_->synced())
			deadline = std::min(deadline, next_retry_);
		if (!worker_.wait_until(deadline))
			break;
		step();
		publish();
	}
	if (lease_ != 0 && options_.revoke_on_stop)
		(void)client_.revoke(lease_);
	mirror_.reset();
}

bool MuxAgent::register_self()
{
	auto lease = client_.grant_lease(options_.lease_ttl);
	if (!lease) {
		counters_.etcd_error = lease.error().message;
		return false;
	}
	auto put = client_.put(keys_.mux(options_.name),
			       encode(member_record(options_.name, now())), *lease);
	if (!put) {
		(void)client_.revoke(*lease);
		counters_.etcd_error = put.error().message;
		return false;
	}
	lease_ = *lease;
	keepalive_.granted();
	log(LogLevel::info, "registered");
	return true;
}

void MuxAgent::keep_alive()
{
	std::string error;
	const auto refreshed = keepalive_.refresh(client_, lease_, error);
	if (refreshed == LeaseTimer::Refresh::kept)
		return;
	counters_.etcd_error = error;
	if (refreshed == LeaseTimer::Refresh::lost) {
		// Our key and acknowledgements went with the lease: register
		// again, and acknowledge again what is prepared.
		lease_ = 0;
		log(LogLevel::warning, "lost its lease: " + error);
	}
}

void MuxAgent::step()
{
	const bool due = steady::now() >= next_retry_;
	bool failed = false;
	if (lease_ == 0 && due && !register_self())
		failed = true;
	if (!failed && !mirror_->synced() && due) {
		if (auto synced = mirror_->sync(); !synced) {
			counters_.etcd_error = synced.error().message;
			failed = true;
		}
	}
	if (failed)
		next_retry_ = steady::now() + options_.retry_delay;
	mirror_->apply_pending();
	if (lease_ != 0 && keepalive_.due())
		keep_alive();

	const auto watch_error = mirror_->watch_error();
	const bool connected = lease_ != 0 && mirror_->synced() && !watch_error;
	if (connected) {
		counters_.etcd_error.clear();
		counters_.etcd_lost_since = 0;
	} else {
		if (watch_error)
			counters_.etcd_error = *watch_error;
		if (counters_.etcd_lost_since == 0)
			counters_.etcd_lost_since = now();
	}
	counters_.etcd_connected = connected;
	counters_.registered = lease_ != 0;
	if (mirror_->synced())
		reconcile();
}

void MuxAgent::reconcile()
{
	auto installed = dataplane_.installed();
	if (!installed) {
		log(LogLevel::error, "cannot read the datapath: " + installed.error().message);
		for (auto &[vip, view] : vip_views_) {
			view.servable = false;
			view.reason = "cannot read the datapath: " + installed.error().message;
		}
		return;
	}
	std::set<VipId> vips;
	for (const auto &[vip, generations] : *installed)
		vips.insert(vip);
	for (const auto &[key, kv] : mirror_->keys()) {
		const auto parsed = parse_key(keys_, key);
		if (parsed.vip && (parsed.kind == ParsedKey::Kind::map ||
				   parsed.kind == ParsedKey::Kind::prepared ||
				   parsed.kind == ParsedKey::Kind::config))
			vips.insert(*parsed.vip);
	}
	for (auto it = vip_views_.begin(); it != vip_views_.end();)
		it = vips.contains(it->first) ? std::next(it) : vip_views_.erase(it);
	for (const auto &vip : vips) {
		const auto it = installed->find(vip);
		reconcile_vip(vip, it == installed->end() ? InstalledGenerations{} : it->second);
	}
}

void MuxAgent::acknowledge(const VipId &vip, const Ack &ack)
{
	if (lease_ == 0)
		return; // after registering again
	// Written already under this lease: the watch has not brought it back
	// yet (each mux sees every other's acks, so it wakes before its own
	// arrives; writing again cost half as many writes again at 100 muxes).
	if (const auto it = acked_.find(vip);
	    it != acked_.end() && it->second.first == ack && it->second.second == lease_)
		return;
	if (auto put = client_.put(keys_.ack(vip, options_.name), encode(ack), lease_); !put) {
		log(LogLevel::warning, to_string(vip) + ": cannot acknowledge generation " +
					       std::to_string(ack.generation) + ": " +
					       put.error().message);
		return;
	}
	acked_[vip] = {ack, lease_};
}

void MuxAgent::reconcile_vip(const VipId &vip, const InstalledGenerations &installed)
{
	auto &view = vip_views_[vip];
	view.vip = vip;
	auto active = installed.active;
	auto staged = installed.staged;
	const auto *map_kv = mirror_->find(keys_.map(vip));
	const auto *prepared_kv = mirror_->find(keys_.prepared(vip));
	const auto load_failed = [&](uint32_t generation, const std::string &what,
				     const Error &error) {
		counters_.load_failures++;
		load_errors_[vip] =
			what + " generation " + std::to_string(generation) + ": " + error.message;
		failed_generation_[vip] = generation;
		failed_at_[vip] = steady::now();
		log(LogLevel::error, to_string(vip) + ": " + load_errors_[vip]);
	};
	const auto may_try = [&](uint32_t generation) {
		const auto it = failed_generation_.find(vip);
		return it == failed_generation_.end() || it->second != generation ||
		       steady::now() - failed_at_[vip] >= options_.load_retry;
	};

	// Phase two (and catching up): the datapath follows the committed map.
	std::optional<MapVersion> committed;
	if (map_kv) {
		if (const auto &decoded = cache_.map(*map_kv))
			committed = *decoded;
	}
	view.committed = committed ? committed->generation() : 0;
	// Nothing committed: a VIP etcd no longer has goes; one being created
	// (prepared, not yet committed) keeps what it staged.
	if (!map_kv && (active != 0 || (staged && !prepared_kv))) {
		if (auto removed = dataplane_.remove(vip); removed) {
			log(LogLevel::info, to_string(vip) + ": no committed map in etcd, removed");
			active = 0;
			staged.reset();
			load_errors_.erase(vip);
		} else {
			log(LogLevel::error,
			    to_string(vip) + ": cannot remove: " + removed.error().message);
		}
	}
	if (committed && active < committed->generation() && may_try(committed->generation())) {
		const auto generation = committed->generation();
		Status loaded = ok();
		if (staged != generation) {
			loaded = dataplane_.stage(vip, *committed);
			if (loaded)
				counters_.staged++;
		}
		if (loaded)
			loaded = dataplane_.activate(vip, generation);
		if (loaded) {
			counters_.activated++;
			active = generation;
			staged.reset();
			load_errors_.erase(vip);
			failed_generation_.erase(vip);
			log(LogLevel::info, to_string(vip) + ": generation " +
						    std::to_string(generation) + " active");
		} else {
			load_failed(generation, "cannot load", loaded.error());
		}
	}

	// Phase one: stage what is prepared, and say so.
	view.prepared = 0;
	if (prepared_kv) {
		if (const auto &prepared = cache_.map(*prepared_kv);
		    prepared && prepared->generation() > std::max(active, view.committed)) {
			const auto generation = prepared->generation();
			view.prepared = generation;
			std::optional<Ack> answer;
			if (staged == generation) {
				answer = Ack{generation, true, ""};
			} else if (may_try(generation)) {
				if (auto loaded = dataplane_.stage(vip, *prepared); loaded) {
					counters_.staged++;
					staged = generation;
					answer = Ack{generation, true, ""};
				} else {
					load_failed(generation, "cannot stage", loaded.error());
					answer = Ack{generation, false, loaded.error().message};
				}
			} else {
				answer = Ack{generation, false, load_errors_[vip]};
			}
			const auto *ack_kv = mirror_->find(keys_.ack(vip, options_.name));
			const auto stored = ack_kv ? decode_ack(ack_kv->value)
						   : Result<Ack, Error>(unexpected(Error{}));
			if (!stored || !(*stored == *answer) || ack_kv->lease != lease_)
				acknowledge(vip, *answer);
		}
	}

	view.active = active;
	view.staged = staged;
	if (const auto it = load_errors_.find(vip); it != load_errors_.end()) {
		view.servable = false;
		view.reason = it->second;
	} else if (!committed) {
		view.servable = false;
		view.reason = map_kv ? "the committed map is malformed" : "no committed map";
	} else if (active != committed->generation()) {
		view.servable = false;
		view.reason = "the datapath has generation " + std::to_string(active) + ", etcd " +
			      std::to_string(committed->generation());
	} else {
		view.servable = true;
		view.reason = counters_.etcd_connected
				      ? ""
				      : "etcd unreachable: forwarding with the last committed map";
	}
}

void MuxAgent::publish()
{
	MuxAgentView view = counters_;
	std::set<VipId> servable;
	for (const auto &[vip, vip_view] : vip_views_) {
		view.vips.push_back(vip_view);
		if (vip_view.servable)
			servable.insert(vip);
	}
	if (mirror_) {
		cache_.prune(mirror_->keys());
		view.malformed = cache_.malformed();
	}
	bool changed = false;
	{
		std::lock_guard lock(mutex_);
		changed = servable != servable_;
		servable_ = std::move(servable);
		view_ = std::move(view);
	}
	if (changed && on_change_)
		on_change_();
}

} // namespace iplb::lbcontrol
