// SPDX-License-Identifier: GPL-2.0-or-later
// Everything under the load balancer's prefix, as etcd holds it, kept
// current by one watch: the controller and the agents decide from this
// copy, never from a read of their own, so that what they decide follows
// etcd's order of events.
//
// sync() reads the prefix and watches from the read's revision + 1, so no
// event is missed or repeated. The watch runs on its thread (EtcdWatch) and
// queues its events; the owner's thread applies them with apply_pending()
// and is woken through `wake` whenever there is something to apply.
#pragma once

#include "cluster/etcd_client.hpp"

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace iplb::lbcontrol {

class PrefixMirror {
public:
	PrefixMirror(cluster::EtcdClient &client, std::string prefix, std::function<void()> wake);
	~PrefixMirror();
	PrefixMirror(const PrefixMirror &) = delete;
	PrefixMirror &operator=(const PrefixMirror &) = delete;

	// Reads the prefix and (re)starts the watch; on failure the copy is
	// unchanged and not synced.
	Status sync();
	// Applies what the watch delivered; true when anything changed. Once
	// the watch has ended (its revision compacted) synced() turns false:
	// sync() again.
	bool apply_pending();

	bool synced() const { return synced_; }
	// The watch's last failure, if it has not delivered since (etcd lost).
	std::optional<std::string> watch_error() const;
	const std::map<std::string, cluster::KeyValue> &keys() const { return keys_; }
	const cluster::KeyValue *find(const std::string &key) const;
	// The keys under a sub-prefix, in key order.
	std::vector<const cluster::KeyValue *> under(const std::string &prefix) const;
	cluster::Revision revision() const { return revision_; }

private:
	cluster::EtcdClient &client_;
	std::string prefix_;
	std::function<void()> wake_;
	std::map<std::string, cluster::KeyValue> keys_;
	cluster::Revision revision_ = 0;
	bool synced_ = false;
	std::unique_ptr<cluster::EtcdWatch> watch_;

	mutable std::mutex mutex_; // the queue, shared with the watch's thread
	std::deque<cluster::WatchEvent> pending_;
	std::optional<std::string> watch_error_;
};

} // namespace iplb::lbcontrol
