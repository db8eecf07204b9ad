// SPDX-License-Identifier: GPL-2.0-or-later
#include "lbcontrol/controller.hpp"

#include "lbcontrol/decoded.hpp"
#include "lbcontrol/mirror.hpp"
#include "lbcontrol/plan.hpp"

#include <algorithm>
#include <ctime>
#include <set>

namespace iplb::lbcontrol {

using cluster::Compare;
using cluster::Txn;
using cluster::TxnOp;
using steady = std::chrono::steady_clock;

Controller::Controller(std::vector<std::string> endpoints, ControllerOptions options,
		       std::unique_ptr<HealthMonitor> health, LogSink log)
    : options_(std::move(options)), keys_{options_.prefix}, health_(std::move(health)),
      log_(std::move(log)), cache_(log_),
      client_(std::move(endpoints), cluster::HttpTimeouts{std::chrono::milliseconds(1000),
							  std::chrono::milliseconds(3000)})
{
	mirror_ = std::make_unique<PrefixMirror>(client_, options_.prefix,
						 [this] { worker_.wake(); });
	if (health_)
		health_->set_on_change([this] { worker_.wake(); });
	counters_.name = options_.name;
	view_.name = options_.name;
	worker_.start([this] { run(); });
}

Controller::~Controller()
{
	stop();
	// Its watch thread wakes the worker: it goes first (members are
	// destroyed after this body, the worker before the mirror).
	mirror_.reset();
}

void Controller::stop()
{
	worker_.stop();
}

ControllerView Controller::view() const
{
	std::lock_guard lock(mutex_);
	return view_;
}

uint32_t Controller::now() const
{
	return options_.clock ? options_.clock() : static_cast<uint32_t>(::time(nullptr));
}

void Controller::run()
{
	next_retry_ = steady::now();
	while (true) {
		// A bound on every wait: keepalives, retries and timeouts are
		// also checked once a second whatever was scheduled.
		auto deadline = steady::now() + std::chrono::seconds(1);
		if (lease_ != 0)
			deadline = std::min(deadline, keepalive_.next());
		if (!mirror_->synced())
			deadline = std::min(deadline, next_retry_);
		if (wake_at_)
			deadline = std::min(deadline, *wake_at_);
		if (!worker_.wait_until(deadline))
			break;
		step();
		publish();
	}
	if (lease_ != 0 && options_.revoke_on_stop)
		resign("stopping");
	if (health_)
		health_->set_checks({});
	mirror_.reset();
}

void Controller::step()
{
	if (!mirror_->synced()) {
		if (steady::now() < next_retry_)
			return;
		if (auto synced = mirror_->sync(); !synced) {
			counters_.etcd_connected = false;
			counters_.etcd_error = synced.error().message;
			next_retry_ = steady::now() + options_.retry_delay;
			if (lease_ != 0 && keepalive_.due())
				keep_alive();
			return;
		}
	}
	mirror_->apply_pending();
	const auto watch_error = mirror_->watch_error();
	counters_.etcd_connected = !watch_error;
	counters_.etcd_error = watch_error.value_or("");

	if (lease_ != 0 && keepalive_.due())
		keep_alive();

	const auto *leader = mirror_->find(keys_.leader());
	if (lease_ != 0 && leader && leader->lease != lease_)
		resign("another node holds the leader key");
	if (lease_ == 0 && !leader && !watch_error)
		campaign();

	if (lease_ != 0) {
		reconcile();
	} else {
		wake_at_.reset();
		pending_.clear();
		held_.clear();
		if (health_)
			health_->set_checks({});
	}
}

bool Controller::campaign()
{
	auto lease = client_.grant_lease(options_.lease_ttl);
	if (!lease) {
		log(LogLevel::warning, "cannot campaign: " + lease.error().message);
		return false;
	}
	const auto record = encode(member_record(options_.name, now()));
	auto won = client_.put_if_absent(keys_.leader(), record, *lease);
	if (!won || !won->succeeded) {
		(void)client_.revoke(*lease);
		return false;
	}
	lease_ = *lease;
	keepalive_.granted();
	counters_.terms++;
	log(LogLevel::info, "leads the load balancer's controllers");
	return true;
}

void Controller::keep_alive()
{
	std::string error;
	// Lost: another node may lead by now.
	if (keepalive_.refresh(client_, lease_, error) == LeaseTimer::Refresh::lost)
		resign("lost its lease: " + error);
}

void Controller::resign(const std::string &why)
{
	if (lease_ == 0)
		return;
	(void)client_.revoke(lease_);
	lease_ = 0;
	pending_.clear();
	held_.clear();
	wake_at_.reset();
	log(LogLevel::info, "no longer leads (" + why + ")");
}

bool Controller::leader_write(Txn txn, const std::string &what)
{
	Compare still_leader;
	still_leader.key = keys_.leader();
	still_leader.target = Compare::Target::lease;
	still_leader.op = Compare::Op::equal;
	still_leader.number = lease_;
	txn.compares.insert(txn.compares.begin(), still_leader);
	auto result = client_.txn(txn);
	if (!result) {
		log(LogLevel::warning, what + ": " + result.error().message);
		return false;
	}
	if (!result->succeeded) {
		auto leader = client_.get(keys_.leader());
		if (leader && (!*leader || (*leader)->lease != lease_))
			resign("another node leads");
		// Otherwise our copy was behind: the next event brings it up to date.
		return false;
	}
	return true;
}

std::vector<std::string> Controller::live_muxes() const
{
	std::vector<std::string> out;
	for (const auto *kv : mirror_->under(keys_.muxes()))
		out.push_back(kv->key.substr(keys_.muxes().size()));
	return out;
}

void Controller::reconcile()
{
	std::set<VipId> vips;
	std::map<VipId, VipConfig> configs;
	for (const auto &[key, kv] : mirror_->keys()) {
		const auto parsed = parse_key(keys_, key);
		if (!parsed.vip)
			continue;
		vips.insert(*parsed.vip);
		if (parsed.kind != ParsedKey::Kind::config)
			continue;
		const auto &config = cache_.config(kv);
		if (config)
			configs.emplace(*parsed.vip, *config);
	}
	if (health_)
		health_->set_checks(configs);
	wake_at_.reset();
	for (auto it = pending_.begin(); it != pending_.end();)
		it = vips.contains(it->first) ? std::next(it) : pending_.erase(it);
	for (auto it = held_.begin(); it != held_.end();)
		it = vips.contains(it->first) ? std::next(it) : held_.erase(it);
	for (const auto &vip : vips) {
		if (lease_ == 0)
			return;
		reconcile_vip(vip);
	}
}

void Controller::remove_vip(const VipId &vip)
{
	Txn txn;
	for (const auto &key : {keys_.map(vip), keys_.prepared(vip), keys_.status(vip)})
		if (mirror_->find(key))
			txn.success.push_back(TxnOp::erase(key));
	for (const auto *ack : mirror_->under(keys_.acks(vip)))
		txn.success.push_back(TxnOp::erase(ack->key));
	if (txn.success.empty())
		return;
	if (leader_write(std::move(txn), "removing " + to_string(vip)))
		log(LogLevel::info, to_string(vip) + ": configuration removed, map withdrawn");
}

void Controller::reconcile_vip(const VipId &vip)
{
	const auto *config_kv = mirror_->find(keys_.config(vip));
	if (!config_kv) {
		pending_.erase(vip);
		remove_vip(vip);
		return;
	}
	const auto &config = cache_.config(*config_kv);
	if (!config)
		return; // counted and shown by publish()
	const auto *map_kv = mirror_->find(keys_.map(vip));
	std::optional<MapVersion> committed;
	if (map_kv) {
		const auto &decoded = cache_.map(*map_kv);
		if (!decoded)
			return; // never plan over a map we cannot read: it would reshuffle
		committed = *decoded;
	}
	VipStatus stored;
	const auto *status_kv = mirror_->find(keys_.status(vip));
	if (status_kv) {
		if (const auto &decoded = cache_.status(*status_kv))
			stored = *decoded;
	}
	const auto t = now();
	const auto status = next_status(
		*config, stored, health_ ? health_->observed(vip) : std::map<lb::Dip, Health>{},
		committed, t);
	const bool status_changed = !status_kv || status != stored;
	if (const auto deadline = next_deadline(*config, status, t)) {
		const auto at = steady::now() + std::chrono::seconds(*deadline - t);
		wake_at_ = wake_at_ ? std::min(*wake_at_, at) : at;
	}

	if (const auto *prepared_kv = mirror_->find(keys_.prepared(vip))) {
		const auto &prepared = cache_.map(*prepared_kv);
		if (!prepared || (committed && prepared->generation() <= committed->generation())) {
			Txn txn;
			txn.compares.push_back(Compare::mod_revision_is(prepared_kv->key,
									prepared_kv->mod_revision));
			txn.success.push_back(TxnOp::erase(prepared_kv->key));
			(void)leader_write(std::move(txn), "dropping a stale prepared version");
			return;
		}
		auto &pending = pending_[vip];
		if (pending.generation != prepared->generation())
			pending = {prepared->generation(), steady::now()};
		std::vector<std::string> waiting;
		for (const auto &mux : live_muxes()) {
			const auto *ack_kv = mirror_->find(keys_.ack(vip, mux));
			const auto ack = ack_kv ? decode_ack(ack_kv->value)
						: Result<Ack, Error>(unexpected(Error{}));
			if (!ack || ack->generation != prepared->generation())
				waiting.push_back(mux);
		}
		const auto timeout_at = pending.seen + options_.ack_timeout;
		if (!waiting.empty() && steady::now() < timeout_at) {
			wake_at_ = wake_at_ ? std::min(*wake_at_, timeout_at) : timeout_at;
			return;
		}
		Txn txn;
		txn.compares.push_back(
			Compare::mod_revision_is(prepared_kv->key, prepared_kv->mod_revision));
		txn.success.push_back(TxnOp::put(keys_.map(vip), prepared_kv->value));
		txn.success.push_back(TxnOp::erase(prepared_kv->key));
		if (status_changed)
			txn.success.push_back(TxnOp::put(keys_.status(vip), encode(status)));
		if (leader_write(std::move(txn), "committing " + to_string(vip))) {
			counters_.commits++;
			if (!waiting.empty()) {
				counters_.commits_incomplete++;
				std::string names;
				for (const auto &mux : waiting)
					names += (names.empty() ? "" : ", ") + mux;
				log(LogLevel::warning,
				    to_string(vip) + ": generation " +
					    std::to_string(prepared->generation()) +
					    " committed without an answer from " + names);
			} else {
				log(LogLevel::info, to_string(vip) + ": generation " +
							    std::to_string(prepared->generation()) +
							    " committed");
			}
			pending_.erase(vip);
		}
		return;
	}

	const auto pool = effective_pool(*config, status, committed, t);
	auto next = next_version(*config, pool, committed, t);
	if (!next) {
		log(LogLevel::warning, next.error().message);
		return;
	}
	const bool was_held = held_.erase(vip) > 0;
	// Planned again when the check concludes (a status change).
	if (*next && first_checks_pending(*config, status, committed) &&
	    !(committed && urgent(*config, status, *committed)))
		next = std::optional<MapVersion>{};
	if (*next && committed && !urgent(*config, status, *committed)) {
		if (const auto until =
			    second_move_until(*committed, **next, config->drain_timeout, t)) {
			// Held: it would break connections a one-hop chain still carries.
			// Planned again then (or at the next event), from what holds then.
			held_[vip] = *until;
			const auto at = steady::now() + std::chrono::seconds(*until - t);
			wake_at_ = wake_at_ ? std::min(*wake_at_, at) : at;
			if (!was_held) {
				counters_.holds++;
				log(LogLevel::info,
				    to_string(vip) + ": change held " + std::to_string(*until - t) +
					    " s: it would move a bucket a second time within the "
					    "drain timeout");
			}
			next = std::optional<MapVersion>{};
		}
	}
	Txn txn;
	if (*next) {
		txn.compares.push_back(Compare::mod_revision_is(keys_.map(vip),
								map_kv ? map_kv->mod_revision : 0));
		txn.compares.push_back(Compare::absent(keys_.prepared(vip)));
		txn.success.push_back(TxnOp::put(keys_.prepared(vip), encode(**next)));
	}
	if (status_changed)
		txn.success.push_back(TxnOp::put(keys_.status(vip), encode(status)));
	if (txn.success.empty())
		return;
	if (leader_write(std::move(txn), "preparing " + to_string(vip)) && *next) {
		counters_.prepares++;
		log(LogLevel::info, to_string(vip) + ": generation " +
					    std::to_string((*next)->generation()) + " prepared");
	}
}

void Controller::publish()
{
	ControllerView view = counters_;
	view.leader = lease_ != 0;
	if (const auto *leader = mirror_ ? mirror_->find(keys_.leader()) : nullptr) {
		if (auto record = decode_member(leader->value))
			view.leader_name = record->name;
	}
	if (mirror_) {
		cache_.prune(mirror_->keys());
		view.muxes = live_muxes();
		view.malformed = cache_.malformed();
		std::set<VipId> vips;
		for (const auto &[key, kv] : mirror_->keys())
			if (const auto parsed = parse_key(keys_, key); parsed.vip)
				vips.insert(*parsed.vip);
		for (const auto &vip : vips) {
			ControllerVipView out;
			out.vip = vip;
			if (const auto *kv = mirror_->find(keys_.config(vip))) {
				if (const auto &config = cache_.config(*kv); !config)
					out.error = config.error().message;
			} else {
				out.error = "no configuration (being removed)";
			}
			if (const auto *kv = mirror_->find(keys_.map(vip))) {
				if (const auto &map = cache_.map(*kv)) {
					out.committed = map->generation();
					out.pool = map->pool;
				} else {
					out.error = map.error().message;
				}
			}
			if (const auto *kv = mirror_->find(keys_.status(vip)))
				if (const auto &status = cache_.status(*kv))
					out.status = *status;
			if (const auto it = held_.find(vip); it != held_.end() && lease_ != 0)
				out.held_until = it->second;
			if (const auto *kv = mirror_->find(keys_.prepared(vip))) {
				if (const auto &prepared = cache_.map(*kv)) {
					out.prepared = prepared->generation();
					for (const auto &mux : view.muxes) {
						const auto *ack_kv =
							mirror_->find(keys_.ack(vip, mux));
						const auto ack =
							ack_kv ? decode_ack(ack_kv->value)
							       : Result<Ack, Error>(
									 unexpected(Error{}));
						if (!ack || ack->generation != out.prepared)
							out.waiting.push_back(mux);
						else
							(ack->ok ? out.acked : out.failed)
								.push_back(mux);
					}
				}
			}
			view.vips.push_back(std::move(out));
		}
	}
	std::lock_guard lock(mutex_);
	view_ = std::move(view);
}

} // namespace iplb::lbcontrol
