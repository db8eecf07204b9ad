// SPDX-License-Identifier: GPL-2.0-or-later
#include "lsdb/lsa_database.hpp"

#include <algorithm>

namespace iplb {

namespace {

constexpr uint16_t age_mask = 0x7fff; // without the DoNotAge bit
constexpr uint8_t as_external_lsa = 5;
constexpr uint8_t as_opaque_lsa = 11;

// Header bytes that change when an LSA is refreshed: age (0-1), sequence
// number (12-15) and checksum (16-17).
bool refresh_byte(size_t i)
{
	return i < 2 || (i >= 12 && i < 18);
}

bool same_content(const StoredLsa &stored, const ospfapi::LsaNotification &n)
{
	const auto &a = stored.bytes;
	const auto &b = n.lsa;
	if (a.size() != b.size())
		return false;
	for (size_t i = 0; i < a.size(); i++)
		if (!refresh_byte(i) && a[i] != b[i])
			return false;
	return true;
}

uint64_t hash_content(const LsaKey &key, std::span<const uint8_t> bytes)
{
	// FNV-1a over the key and the refresh-stable bytes.
	uint64_t h = 0xcbf29ce484222325ULL;
	auto mix = [&h](uint8_t byte) {
		h ^= byte;
		h *= 0x100000001b3ULL;
	};
	for (uint32_t v : {key.area.value, uint32_t{key.type}, key.id.value, key.adv_router.value})
		for (int shift = 24; shift >= 0; shift -= 8)
			mix(static_cast<uint8_t>(v >> shift));
	for (size_t i = 0; i < bytes.size(); i++)
		if (!refresh_byte(i))
			mix(bytes[i]);
	return h;
}

} // namespace

LsaKey LsaDatabase::key_of(const ospfapi::LsaNotification &n)
{
	const bool as_scoped = n.header.type == as_external_lsa || n.header.type == as_opaque_lsa;
	return LsaKey{as_scoped ? Ipv4{} : n.area, n.header.type, n.header.id, n.header.adv_router};
}

LsaDatabase::Change LsaDatabase::apply_update(const ospfapi::LsaNotification &n)
{
	if ((n.header.age & age_mask) >= max_age)
		return apply_delete(n);

	const LsaKey key = key_of(n);
	StoredLsa fresh{n.header, {n.lsa.begin(), n.lsa.end()}, n.truncated,
			hash_content(key, n.lsa)};
	auto it = lsas_.find(key);
	content_hash_ ^= fresh.content_hash;
	if (it == lsas_.end()) {
		lsas_.emplace(key, std::move(fresh));
		if (key.type < by_type_.size())
			by_type_[key.type]++;
		return Change::added;
	}
	content_hash_ ^= it->second.content_hash;
	const bool refresh = same_content(it->second, n);
	it->second = std::move(fresh);
	return refresh ? Change::refreshed : Change::replaced;
}

LsaDatabase::Change LsaDatabase::apply_delete(const ospfapi::LsaNotification &n)
{
	auto it = lsas_.find(key_of(n));
	if (it == lsas_.end())
		return Change::none;
	content_hash_ ^= it->second.content_hash;
	if (it->first.type < by_type_.size())
		by_type_[it->first.type]--;
	lsas_.erase(it);
	return Change::removed;
}

} // namespace iplb
