// SPDX-License-Identifier: GPL-2.0-or-later
#include "lsdb/lsa_database.hpp"

#include <algorithm>

namespace iplb {

namespace {

constexpr uint16_t age_mask = 0x7fff; // without the DoNotAge bit
constexpr uint8_t as_external_lsa = 5;
constexpr uint8_t as_opaque_lsa = 11;

bool same_content(const StoredLsa &stored, const ospfapi::LsaNotification &n)
{
	// Everything after age/seq/checksum (bytes 0-1 and 12-15 of the header).
	const auto &a = stored.bytes;
	const auto &b = n.lsa;
	if (a.size() != b.size())
		return false;
	if (!std::equal(a.begin() + 2, a.begin() + 12, b.begin() + 2))
		return false;
	return std::equal(a.begin() + 16, a.end(), b.begin() + 16);
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
	StoredLsa fresh{n.header, {n.lsa.begin(), n.lsa.end()}, n.truncated};
	auto it = lsas_.find(key);
	if (it == lsas_.end()) {
		lsas_.emplace(key, std::move(fresh));
		return Change::added;
	}
	const bool refresh = same_content(it->second, n);
	it->second = std::move(fresh);
	return refresh ? Change::refreshed : Change::replaced;
}

LsaDatabase::Change LsaDatabase::apply_delete(const ospfapi::LsaNotification &n)
{
	return lsas_.erase(key_of(n)) > 0 ? Change::removed : Change::none;
}

std::array<size_t, 12> LsaDatabase::count_by_type() const
{
	std::array<size_t, 12> counts{};
	for (const auto &[key, lsa] : lsas_)
		if (key.type < counts.size())
			counts[key.type]++;
	return counts;
}

} // namespace iplb
