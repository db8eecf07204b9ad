// SPDX-License-Identifier: GPL-2.0-or-later
// Decoded values of etcd keys, kept while the key's revision stays the same:
// a 65536-bucket map is decoded once per version, not at every event. A
// value the decoder refuses is counted once per revision (and logged), and
// its error kept for show.
#pragma once

#include "cluster/etcd_codec.hpp"
#include "lbcontrol/schema.hpp"
#include "util/log.hpp"

#include <map>
#include <string>
#include <utility>

namespace iplb::lbcontrol {

class DecodeCache {
public:
	explicit DecodeCache(LogSink log = {}) : log_(std::move(log)) {}

	const Result<VipConfig, Error> &config(const cluster::KeyValue &kv)
	{
		return get(configs_, kv, decode_vip_config);
	}
	const Result<VipStatus, Error> &status(const cluster::KeyValue &kv)
	{
		return get(statuses_, kv, decode_vip_status);
	}
	const Result<MapVersion, Error> &map(const cluster::KeyValue &kv)
	{
		return get(maps_, kv, decode_map_version);
	}
	// Values refused so far (each key's revision once).
	uint64_t malformed() const { return malformed_; }
	// Forgets keys that are gone.
	void prune(const std::map<std::string, cluster::KeyValue> &keys)
	{
		prune(configs_, keys);
		prune(statuses_, keys);
		prune(maps_, keys);
	}

private:
	template <typename T>
	using Entries = std::map<std::string, std::pair<cluster::Revision, Result<T, Error>>>;

	template <typename T>
	const Result<T, Error> &get(Entries<T> &entries, const cluster::KeyValue &kv,
				    Result<T, Error> (*decode)(std::string_view))
	{
		auto it = entries.find(kv.key);
		if (it != entries.end() && it->second.first == kv.mod_revision)
			return it->second.second;
		auto decoded = decode(kv.value);
		if (!decoded) {
			malformed_++;
			if (log_)
				log_(LogLevel::warning,
				     "etcd key " + kv.key + " (revision " +
					     std::to_string(kv.mod_revision) +
					     ") skipped: " + decoded.error().message);
		}
		if (it == entries.end())
			it = entries.emplace(kv.key,
					     std::make_pair(kv.mod_revision, std::move(decoded)))
				     .first;
		else
			it->second = std::make_pair(kv.mod_revision, std::move(decoded));
		return it->second.second;
	}

	template <typename T>
	static void prune(Entries<T> &entries, const std::map<std::string, cluster::KeyValue> &keys)
	{
		for (auto it = entries.begin(); it != entries.end();)
			it = keys.contains(it->first) ? std::next(it) : entries.erase(it);
	}

	LogSink log_;
	Entries<VipConfig> configs_;
	Entries<VipStatus> statuses_;
	Entries<MapVersion> maps_;
	uint64_t malformed_ = 0;
};

} // namespace iplb::lbcontrol
