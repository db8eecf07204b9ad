// SPDX-License-Identifier: GPL-2.0-or-later
#include "lbcontrol/mirror.hpp"

namespace iplb::lbcontrol {

PrefixMirror::PrefixMirror(cluster::EtcdClient &client, std::string prefix,
			   std::function<void()> wake)
    : client_(client), prefix_(std::move(prefix)), wake_(std::move(wake))
{
}

PrefixMirror::~PrefixMirror()
{
	if (watch_)
		watch_->stop();
}

Status PrefixMirror::sync()
{
	if (watch_) {
		watch_->stop();
		watch_.reset();
	}
	synced_ = false;
	auto read = client_.get_prefix(prefix_);
	if (!read)
		return unexpected(read.error());
	{
		std::lock_guard lock(mutex_);
		pending_.clear();
		watch_error_.reset();
	}
	keys_.clear();
	for (auto &kv : read->kvs)
		keys_.emplace(kv.key, std::move(kv));
	revision_ = read->revision;
	watch_ = client_.watch_prefix(
		prefix_, read->revision + 1,
		[this](const cluster::WatchEvent &event) {
			{
				std::lock_guard lock(mutex_);
				pending_.push_back(event);
				watch_error_.reset();
			}
			wake_();
		},
		[this](const Error &error) {
			{
				std::lock_guard lock(mutex_);
				watch_error_ = error.message;
			}
			wake_();
		});
	synced_ = true;
	return ok();
}

bool PrefixMirror::apply_pending()
{
	std::deque<cluster::WatchEvent> events;
	{
		std::lock_guard lock(mutex_);
		events.swap(pending_);
	}
	for (auto &event : events) {
		revision_ = std::max(revision_, event.kv.mod_revision);
		if (event.type == cluster::WatchEvent::Type::erase)
			keys_.erase(event.kv.key);
		else
			keys_[event.kv.key] = std::move(event.kv);
	}
	if (watch_ && !watch_->running())
		synced_ = false;
	return !events.empty();
}

std::optional<std::string> PrefixMirror::watch_error() const
{
	if (watch_ && watch_->running() && watch_->created())
		return std::nullopt; // resumed on a member since the failure
	std::lock_guard lock(mutex_);
	if (!watch_error_ && watch_ && !watch_->running())
		return std::string("the watch has ended");
	return watch_error_;
}

const cluster::KeyValue *PrefixMirror::find(const std::string &key) const
{
	const auto it = keys_.find(key);
	return it == keys_.end() ? nullptr : &it->second;
}

std::vector<const cluster::KeyValue *> PrefixMirror::under(const std::string &prefix) const
{
	std::vector<const cluster::KeyValue *> out;
	for (auto it = keys_.lower_bound(prefix);
	     it != keys_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
		out.push_back(&it->second);
	return out;
}

} // namespace iplb::lbcontrol
