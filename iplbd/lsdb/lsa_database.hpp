// SPDX-License-Identifier: GPL-2.0-or-later
// The mirror of ospfd's link-state database, as received from its API.
#pragma once

#include "lsdb/api_protocol.hpp"

#include <array>
#include <compare>
#include <cstdint>
#include <map>
#include <vector>

namespace iplb {

// An LSA instance is identified by (area, type, link-state id, advertising
// router); AS-scoped LSAs (types 5 and 11) carry area 0.0.0.0.
struct LsaKey {
	Ipv4 area;
	uint8_t type = 0;
	Ipv4 id;
	Ipv4 adv_router;

	friend auto operator<=>(const LsaKey &, const LsaKey &) = default;
};

struct StoredLsa {
	ospfapi::LsaHeader header;
	std::vector<uint8_t> bytes; // header and body
	bool truncated = false;
	uint64_t content_hash = 0; // of key and content, without age, seq, checksum
};

class LsaDatabase {
public:
	static constexpr uint16_t max_age = 3600;

	enum class Change {
		added,
		replaced,  // the content changed
		refreshed, // only age, sequence number or checksum changed
		removed,
		none,
	};

	// A MaxAge LSA is a withdrawal: it removes the instance.
	Change apply_update(const ospfapi::LsaNotification &notification);
	Change apply_delete(const ospfapi::LsaNotification &notification);
	void clear()
	{
		lsas_.clear();
		content_hash_ = 0;
		by_type_ = {};
	}

	size_t size() const { return lsas_.size(); }
	// Changes with the content of the database, not with refreshes: equal
	// after a refresh, or after a withdrawal and re-announcement of the
	// same LSA (how ospfd reports refreshes). XOR of the LSAs' hashes.
	uint64_t content_hash() const { return content_hash_; }
	// Count of LSAs per type 1..11 (index = type), kept as LSAs come and
	// go: `show iplb status` never walks the database.
	const std::array<size_t, 12> &count_by_type() const { return by_type_; }
	const std::map<LsaKey, StoredLsa> &entries() const { return lsas_; }

	static LsaKey key_of(const ospfapi::LsaNotification &notification);

private:
	std::map<LsaKey, StoredLsa> lsas_;
	uint64_t content_hash_ = 0;
	std::array<size_t, 12> by_type_{};
};

} // namespace iplb
