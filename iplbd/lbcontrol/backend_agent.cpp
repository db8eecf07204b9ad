// SPDX-License-Identifier: GPL-2.0-or-later
#include "lbcontrol/backend_agent.hpp"

#include "lbcontrol/mirror.hpp"

#include <algorithm>
#include <ctime>

namespace iplb::lbcontrol {

using steady = std::chrono::steady_clock;

namespace {

std::string describe(const MptcpAnnouncements &announced)
{
	if (!announced.c_flag())
		return "nothing announced, C flag as before";
	std::string out = "C flag set, announcing";
	if (announced.direct)
		out += " its own address (direct mode)";
	for (const auto &[address, port] : announced.ports)
		out += " " + to_string(address) + " port " + std::to_string(port);
	return out;
}

} // namespace

BackendAgent::BackendAgent(std::vector<std::string> endpoints, BackendAgentOptions options,
			   BackendDataplane &dataplane, std::function<void()> on_change,
			   LogSink log)
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

BackendAgent::~BackendAgent()
{
	stop();
	// Its watch thread wakes the worker: it goes first (members are
	// destroyed after this body, the worker before the mirror).
	mirror_.reset();
}

void BackendAgent::stop()
{
	worker_.stop();
}

BackendAgentView BackendAgent::view() const
{
	std::lock_guard lock(mutex_);
	return view_;
}

std::set<VipId> BackendAgent::served() const
{
	std::lock_guard lock(mutex_);
	return served_;
}

uint32_t BackendAgent::now() const
{
	return options_.clock ? options_.clock() : static_cast<uint32_t>(::time(nullptr));
}

bool BackendAgent::is_mine(const lb::Dip &dip) const
{
	return std::find(options_.addresses.begin(), options_.addresses.end(), dip.address) !=
	       options_.addresses.end();
}

void BackendAgent::run()
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

bool BackendAgent::grant_lease()
{
	auto lease = client_.grant_lease(options_.lease_ttl);
	if (!lease) {
		counters_.etcd_error = lease.error().message;
		return false;
	}
	lease_ = *lease;
	since_ = now();
	written_.reset(); // the record is written under the new lease
	keepalive_.granted();
	return true;
}

void BackendAgent::keep_alive()
{
	std::string error;
	const auto refreshed = keepalive_.refresh(client_, lease_, error);
	if (refreshed == LeaseTimer::Refresh::kept)
		return;
	counters_.etcd_error = error;
	if (refreshed == LeaseTimer::Refresh::lost) {
		// The registration went with the lease: register again.
		lease_ = 0;
		written_.reset();
		log(LogLevel::warning, "lost its lease: " + error);
	}
}

void BackendAgent::step()
{
	const bool due = steady::now() >= next_retry_;
	bool failed = false;
	if (lease_ == 0 && due && !grant_lease())
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
	// Only a synced copy decides: while etcd is unreachable the copy holds
	// what etcd last said, so nothing is removed for want of an answer.
	if (mirror_->synced())
		reconcile();
	write_registration();
	counters_.registered = lease_ != 0 && written_.has_value();
}

BackendAgent::Wants BackendAgent::wanted()
{
	std::map<VipId, std::vector<std::string>> reasons;
	std::map<VipId, std::string> malformed;
	Wants out;
	for (const auto &[key, kv] : mirror_->keys()) {
		const auto parsed = parse_key(keys_, key);
		if (!parsed.vip)
			continue;
		const auto &vip = *parsed.vip;
		if (parsed.kind == ParsedKey::Kind::config) {
			const auto &config = cache_.config(kv);
			if (!config) {
				malformed[vip] = "its configuration in etcd is malformed";
				continue;
			}
			for (const auto &backend : config->backends)
				if (is_mine(backend.dip)) {
					reasons[vip].push_back(to_string(backend.dip) +
							       " in the configuration" +
							       (backend.drain ? " (drained)" : ""));
					out.mptcp.direct |= config->mptcp == MptcpMode::direct;
				}
		} else if (parsed.kind == ParsedKey::Kind::map) {
			const auto &version = cache_.map(kv);
			if (!version) {
				malformed[vip] = "its committed map in etcd is malformed";
				continue;
			}
			for (const auto &backend : version->pool)
				if (is_mine(backend.dip))
					reasons[vip].push_back(
						to_string(backend.dip) +
						" in the pool of map generation " +
						std::to_string(version->generation()) + " (" +
						std::string(to_string(backend.state)) + ")");
			// A bucket's previous owner receives the connections the
			// mux chains back to it, even once it left the pool.
			std::map<lb::Dip, size_t> previous;
			for (const auto &bucket : version->map.buckets)
				if (bucket.previous && is_mine(*bucket.previous))
					previous[*bucket.previous]++;
			for (const auto &[dip, count] : previous)
				reasons[vip].push_back(to_string(dip) + " previous owner of " +
						       std::to_string(count) +
						       " buckets in map generation " +
						       std::to_string(version->generation()));
			// Port mode: the joins to its own port of the VIP's address
			// come in the muxes' tunnels too, and it announces that port.
			for (const auto &[dip, port] : version->mptcp_ports) {
				if (!is_mine(dip))
					continue;
				reasons[VipId{vip.address, 6, port}].push_back(
					"MPTCP port of " + to_string(dip) + " for " +
					to_string(vip) + " in map generation " +
					std::to_string(version->generation()));
				out.mptcp.ports.insert({vip.address, port});
			}
		}
	}
	for (auto &[vip, list] : reasons) {
		std::string reason;
		for (const auto &part : list)
			reason += (reason.empty() ? "" : "; ") + part;
		out.vips[vip] = Wanted{std::move(reason), true};
	}
	// A value we cannot read might list us: what we have stays (etcd did
	// not say it should go), what we do not have is not added.
	for (auto &[vip, why] : malformed)
		if (!out.vips.contains(vip) && served_now_.contains(vip))
			out.vips[vip] = Wanted{"kept: " + why, false};
	return out;
}

void BackendAgent::reconcile()
{
	auto installed = dataplane_.vips();
	reconciled_ = true;
	if (!installed) {
		counters_.failures++;
		counters_.healthy = false;
		counters_.error = "cannot read the datapath: " + installed.error().message;
		log(LogLevel::error, counters_.error);
		for (auto &[vip, view] : vip_views_)
			view.reason = counters_.error;
		return;
	}
	served_now_ = std::move(*installed);
	const auto wants = wanted();
	const auto &want = wants.vips;
	const auto may_try = [&](const VipId &vip) {
		const auto it = failed_at_.find(vip);
		return it == failed_at_.end() || steady::now() - it->second >= options_.add_retry;
	};

	for (const auto &[vip, why] : want) {
		if (served_now_.contains(vip) || !why.certain || !may_try(vip))
			continue;
		if (auto added = dataplane_.add_vip(vip); added) {
			counters_.adds++;
			served_now_.insert(vip);
			add_errors_.erase(vip);
			failed_at_.erase(vip);
			log(LogLevel::info, to_string(vip) + ": added (" + why.reason + ")");
		} else {
			counters_.failures++;
			add_errors_[vip] = "cannot add: " + added.error().message;
			failed_at_[vip] = steady::now();
			log(LogLevel::error, to_string(vip) + ": " + add_errors_[vip]);
		}
	}
	for (auto it = served_now_.begin(); it != served_now_.end();) {
		const auto vip = *it;
		if (want.contains(vip) || !may_try(vip)) {
			++it;
			continue;
		}
		if (auto removed = dataplane_.remove_vip(vip); removed) {
			counters_.removes++;
			it = served_now_.erase(it);
			remove_errors_.erase(vip);
			failed_at_.erase(vip);
			log(LogLevel::info, to_string(vip) + ": removed (no longer in its "
							     "configuration or committed map)");
		} else {
			counters_.failures++;
			remove_errors_[vip] = "cannot remove: " + removed.error().message;
			failed_at_[vip] = steady::now();
			log(LogLevel::error, to_string(vip) + ": " + remove_errors_[vip]);
			++it;
		}
	}
	// After the VIPs: a port is announced once its VIP address is bound.
	if (wants.mptcp != announced_) {
		if (auto set = dataplane_.set_mptcp(wants.mptcp); set) {
			announced_ = wants.mptcp;
			announce_error_.clear();
			log(LogLevel::info, "MPTCP: " + describe(announced_));
		} else if (set.error().message != announce_error_) {
			// Tried again at every step; said once.
			counters_.failures++;
			announce_error_ = set.error().message;
			log(LogLevel::error, "MPTCP: cannot announce " + describe(wants.mptcp) +
						     ": " + announce_error_);
		}
	}
	counters_.mptcp_direct = announced_.direct;
	counters_.mptcp_ports.clear();
	for (const auto &[address, port] : announced_.ports)
		counters_.mptcp_ports.push_back(to_string(address) + " port " +
						std::to_string(port));

	// Errors of VIPs that are no longer in question are forgotten.
	std::erase_if(add_errors_, [&](const auto &entry) { return !want.contains(entry.first); });
	std::erase_if(remove_errors_,
		      [&](const auto &entry) { return !served_now_.contains(entry.first); });
	std::erase_if(failed_at_, [&](const auto &entry) {
		return !add_errors_.contains(entry.first) && !remove_errors_.contains(entry.first);
	});

	counters_.healthy = true;
	counters_.error.clear();
	vip_views_.clear();
	for (const auto &[vip, why] : want) {
		auto &view = vip_views_[vip];
		view.vip = vip;
		view.in_datapath = served_now_.contains(vip);
		view.reason = why.reason;
		if (!why.certain || view.in_datapath)
			continue;
		counters_.healthy = false;
		const auto error = add_errors_.contains(vip) ? add_errors_[vip] : "not added yet";
		view.reason = error + " (" + why.reason + ")";
		counters_.error +=
			(counters_.error.empty() ? "" : "; ") + to_string(vip) + ": " + error;
	}
	for (const auto &vip : served_now_) {
		if (want.contains(vip))
			continue;
		auto &view = vip_views_[vip];
		view.vip = vip;
		view.in_datapath = true;
		view.reason = remove_errors_.contains(vip) ? remove_errors_[vip]
							   : "no longer wanted, not removed yet";
	}
}

void BackendAgent::write_registration()
{
	if (lease_ == 0 || !reconciled_)
		return;
	MemberRecord record;
	record.name = options_.name;
	record.since = since_;
	if (!options_.addresses.empty())
		record.address = options_.addresses.front();
	record.addresses = options_.addresses;
	record.healthy = counters_.healthy;
	record.vips.assign(served_now_.begin(), served_now_.end());
	record.error = counters_.error;
	const auto encoded = encode(record);
	bool write = !written_ || *written_ != encoded;
	// Rewritten also when etcd no longer holds it as we wrote it (deleted
	// by hand), once the copy has seen our own write.
	if (!write && mirror_->synced() && mirror_->revision() >= written_revision_) {
		const auto *kv = mirror_->find(keys_.backend(options_.name));
		write = !kv || kv->value != encoded || kv->lease != lease_;
	}
	if (!write)
		return;
	auto put = client_.put(keys_.backend(options_.name), encoded, lease_);
	if (!put) {
		counters_.etcd_error = put.error().message;
		written_.reset();
		log(LogLevel::warning, "cannot write its registration: " + put.error().message);
		return;
	}
	if (!written_)
		log(LogLevel::info, "registered");
	written_ = encoded;
	written_revision_ = *put;
}

void BackendAgent::publish()
{
	BackendAgentView view = counters_;
	for (const auto &[vip, vip_view] : vip_views_) {
		view.vips.push_back(vip_view);
		if (!view.etcd_connected && vip_view.in_datapath)
			view.vips.back().reason += " (etcd unreachable: kept as etcd last said)";
	}
	if (mirror_) {
		cache_.prune(mirror_->keys());
		view.malformed = cache_.malformed();
	}
	bool changed = false;
	{
		std::lock_guard lock(mutex_);
		changed = served_now_ != served_;
		served_ = served_now_;
		view_ = std::move(view);
	}
	if (changed && on_change_)
		on_change_();
}

} // namespace iplb::lbcontrol
