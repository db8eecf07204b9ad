// SPDX-License-Identifier: GPL-2.0-or-later
// assign() in four steps:
//  1. owners: every DIP of the pool or of the current map, by DIP order, with
//     the buckets it holds and its quota (weighted largest remainder, an
//     extra bucket first to a backend that already holds it);
//  2. release: each backend above its quota frees its surplus, buckets moved
//     less than daisy_timeout ago last: first whole pieces of its runs that
//     it can give up entirely, longest rows of such neighbouring pieces
//     first (they become one free range), then the rest from the end of a
//     run that touches free space, a receiver or another giver;
//  3. fill: each backend below its quota takes free buckets, first those that
//     join two of its runs, then those next to one of its runs, then whole
//     free ranges (best fit), splitting a range only when no backend can
//     take it whole;
//  4. record: a bucket whose owner changed gets previous and changed_at.
// Integers only, ties broken by bucket index or DIP order: the result is the
// same on every machine and for every order of the pool.
#include "lb/assign.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <set>
#include <utility>

namespace iplb::lb {

namespace {

using Kind = AssignError::Kind;

Unexpected<AssignError> fail(Kind kind, std::string message)
{
	return unexpected(AssignError{kind, std::move(message)});
}

std::string_view family_name(const Dip &dip)
{
	return is_v6(dip) ? "IPv6" : "IPv4";
}

// An owner's position in Owners (DIP order). Two more values only exist
// while assigning: a bucket nobody owns, and a bucket released by its owner
// and not yet given to another.
using OwnerIndex = uint32_t;
constexpr OwnerIndex ownerless = UINT32_MAX;
constexpr OwnerIndex released = UINT32_MAX - 1;

struct Owner {
	Dip dip;
	uint32_t weight = 0; // 0 unless active
	uint32_t held = 0;   // buckets in the current map
	uint32_t quota = 0;  // buckets in the next map
};

// Every DIP of the pool or of the current map's owners, by DIP order.
class Owners {
public:
	Owners(std::span<const Backend> pool, const BucketMap &current)
	{
		for (const Backend &backend : pool)
			owners_.push_back({backend.dip, backend.state == BackendState::active
								? backend.weight
								: 0});
		std::sort(owners_.begin(), owners_.end(),
			  [](const Owner &a, const Owner &b) { return a.dip < b.dip; });
		// Owners that left the pool keep an entry (weight 0): they give
		// everything up.
		std::set<Dip> departed;
		const Dip *last = nullptr;
		for (const Bucket &bucket : current.buckets) {
			if (!bucket.owner || (last && *last == *bucket.owner))
				continue;
			last = &*bucket.owner;
			if (!find(*last))
				departed.insert(*last);
		}
		if (!departed.empty()) {
			for (const Dip &dip : departed)
				owners_.push_back({dip, 0});
			std::sort(owners_.begin(), owners_.end(),
				  [](const Owner &a, const Owner &b) { return a.dip < b.dip; });
		}
	}

	std::optional<OwnerIndex> find(const Dip &dip) const
	{
		const auto it =
			std::lower_bound(owners_.begin(), owners_.end(), dip,
					 [](const Owner &o, const Dip &d) { return o.dip < d; });
		if (it == owners_.end() || it->dip != dip)
			return std::nullopt;
		return static_cast<OwnerIndex>(it - owners_.begin());
	}

	size_t size() const { return owners_.size(); }
	Owner &operator[](OwnerIndex i) { return owners_[i]; }
	const Owner &operator[](OwnerIndex i) const { return owners_[i]; }
	auto begin() { return owners_.begin(); }
	auto end() { return owners_.end(); }

private:
	std::vector<Owner> owners_;
};

// Weighted largest remainder: each active owner gets floor(B*w/W), and the
// buckets left over go one each to the largest remainders. Among owners
// whose share is not a whole number, those that already hold more than the
// floor come first, so that rounding never moves a bucket it need not
// (which keeps the movement minimal over every rounding within one bucket
// of the shares). Remaining ties: DIP order.
void set_quotas(Owners &owners, uint32_t bucket_count)
{
	uint64_t total_weight = 0;
	for (const Owner &o : owners)
		total_weight += o.weight;
	if (total_weight == 0)
		return;
	struct Candidate {
		OwnerIndex index;
		bool holds_more;
		uint64_t remainder;
	};
	std::vector<Candidate> candidates;
	uint64_t given = 0;
	for (OwnerIndex i = 0; i < owners.size(); i++) {
		Owner &o = owners[i];
		if (o.weight == 0)
			continue;
		const uint64_t exact = uint64_t{bucket_count} * o.weight;
		o.quota = static_cast<uint32_t>(exact / total_weight);
		given += o.quota;
		if (exact % total_weight != 0)
			candidates.push_back({i, o.held > o.quota, exact % total_weight});
	}
	std::sort(candidates.begin(), candidates.end(), [](const Candidate &a, const Candidate &b) {
		if (a.holds_more != b.holds_more)
			return a.holds_more;
		if (a.remainder != b.remainder)
			return a.remainder > b.remainder;
		return a.index < b.index;
	});
	// The remainders add up to (B - given) x W, each below W: there are
	// enough candidates.
	const uint64_t extra = bucket_count - given;
	assert(extra <= candidates.size());
	for (uint64_t i = 0; i < extra; i++)
		owners[candidates[i].index].quota++;
}

// The working state of a rebalance: who holds each bucket, and how many
// buckets each owner still has to give up or to take.
class Rebalance {
public:
	Rebalance(std::vector<OwnerIndex> slots, std::vector<uint8_t> young,
		  std::vector<OwnerIndex> previous, const Owners &owners)
	    : slot_(std::move(slots)), young_(std::move(young)), previous_(std::move(previous)),
	      deficit_(owners.size())
	{
		// What each owner above its quota frees, by class: buckets that
		// moved recently (young) only when its others are not enough,
		// since moving them again breaks the chain to their previous
		// owner.
		std::vector<uint32_t> seasoned(owners.size());
		for (uint32_t b = 0; b < size(); b++)
			if (slot_[b] != ownerless && !young_[b])
				seasoned[slot_[b]]++;
		for (auto &budget : budget_)
			budget.resize(owners.size());
		for (OwnerIndex i = 0; i < owners.size(); i++) {
			if (owners[i].held > owners[i].quota) {
				const uint32_t surplus = owners[i].held - owners[i].quota;
				budget_[0][i] = std::min(surplus, seasoned[i]);
				budget_[1][i] = surplus - budget_[0][i];
			} else {
				deficit_[i] = owners[i].quota - owners[i].held;
			}
		}
		for (OwnerIndex &s : slot_)
			if (s == ownerless)
				s = released; // someone is active: these are free
	}

	std::vector<OwnerIndex> run() &&
	{
		for (const bool young : {false, true}) {
			if (young)
				return_young();
			if (std::all_of(budget_[young].begin(), budget_[young].end(),
					[](uint32_t n) { return n == 0; }))
				continue;
			release_whole_pieces(young);
			trim_pieces(young);
		}
		fill_free_ranges();
		return std::move(slot_);
	}

private:
	struct Range {
		uint32_t first;
		uint32_t end; // one past the last

		uint32_t length() const { return end - first; }
	};

	// A maximal range of buckets with one owner (or free) and one class.
	struct Piece {
		Range range;
		OwnerIndex owner;
		bool young;
	};

	uint32_t size() const { return static_cast<uint32_t>(slot_.size()); }

	bool wants(OwnerIndex o) const { return o < released && deficit_[o] > 0; }

	uint32_t &budget(OwnerIndex o, bool young) { return budget_[young ? 1 : 0][o]; }

	std::vector<Piece> pieces() const
	{
		std::vector<Piece> all;
		for (uint32_t b = 0; b < size();) {
			uint32_t e = b + 1;
			while (e < size() && slot_[e] == slot_[b] &&
			       (slot_[b] == released || young_[e] == young_[b]))
				e++;
			all.push_back({{b, e}, slot_[b], slot_[b] != released && young_[b]});
			b = e;
		}
		return all;
	}

	// The young buckets an owner must give up go first back to their
	// previous owner, as many as that one takes: the one-hop chain then
	// still reaches both owners' connections (the previous owner holds its
	// own and chains the newer ones back), where any other receiver would
	// move the bucket a second time and break its previous owner's.
	void return_young()
	{
		for (uint32_t b = 0; b < size(); b++) {
			const OwnerIndex o = slot_[b];
			if (o == released || !young_[b] || budget(o, true) == 0)
				continue;
			const OwnerIndex p = previous_[b];
			if (p == ownerless || !wants(p))
				continue;
			budget(o, true)--;
			give(b, b + 1, p);
		}
	}

	void release(Range r)
	{
		for (uint32_t b = r.first; b < r.end; b++)
			slot_[b] = released;
	}

	// Freeing a whole piece removes a run; freeing pieces that touch each
	// other (or free space) makes one free range of them, which can go to
	// one receiver as one run: a backend removed earlier left its block as
	// a row of single buckets of many owners, and the next backend to join
	// takes that row back whole. So: chains of neighbouring pieces that
	// their owners can free whole, the chains of most pieces first.
	void release_whole_pieces(bool young)
	{
		const std::vector<Piece> all = pieces();
		const auto fits = [&](const Piece &p) {
			return p.owner != released && p.young == young &&
			       p.range.length() <= budget(p.owner, young);
		};
		struct Chain {
			size_t begin, end; // indices in `all`
			size_t count;	   // pieces that fit
		};
		std::vector<Chain> chains;
		for (size_t i = 0; i < all.size();) {
			size_t e = i;
			size_t count = 0;
			while (e < all.size() && (fits(all[e]) || all[e].owner == released)) {
				count += all[e].owner != released;
				e++;
			}
			if (count > 0)
				chains.push_back({i, e, count});
			i = std::max(e, i + 1);
		}
		std::stable_sort(chains.begin(), chains.end(),
				 [](const Chain &a, const Chain &b) { return a.count > b.count; });
		for (const Chain &chain : chains)
			for (size_t i = chain.begin; i < chain.end; i++)
				if (fits(all[i])) {
					budget(all[i].owner, young) -= all[i].range.length();
					release(all[i].range);
				}
	}

	// How good it is to free the bucket next to `neighbour` (an index
	// that may be outside the map), for `owner`: 3 if free space or a
	// receiver is there (the freed bucket joins it), 2 if an owner that
	// still has buckets to free of this class (it may free toward us), 1
	// if another owner or the edge (owner's run only gets shorter), 0 if
	// owner itself (its run splits in two).
	int side_score(int64_t neighbour, OwnerIndex owner, bool young)
	{
		if (neighbour < 0 || neighbour >= int64_t{size()})
			return 1;
		const OwnerIndex o = slot_[neighbour];
		if (o == released || wants(o))
			return 3;
		if (o == owner)
			return 0;
		return budget(o, young) > 0 ? 2 : 1;
	}

	// What owners still have to free is less than each of their pieces:
	// they free it from one end of one piece, the end with the best
	// neighbour, then the shortest piece.
	void trim_pieces(bool young)
	{
		std::vector<std::vector<Range>> by_owner(deficit_.size());
		for (const Piece &p : pieces())
			if (p.owner != released && p.young == young && budget(p.owner, young) > 0)
				by_owner[p.owner].push_back(p.range);
		for (OwnerIndex o = 0; o < by_owner.size(); o++) {
			uint32_t &count = budget(o, young);
			if (count == 0)
				continue;
			struct End {
				int score;
				Range piece;
				bool right;
			};
			std::optional<End> best;
			for (const Range &r : by_owner[o]) {
				assert(r.length() > count);
				for (const bool right : {false, true}) {
					const End end{side_score(right ? int64_t{r.end}
								       : int64_t{r.first} - 1,
								 o, young),
						      r, right};
					if (!best || end.score > best->score ||
					    (end.score == best->score &&
					     end.piece.length() < best->piece.length()))
						best = end;
				}
			}
			assert(best);
			if (best->right)
				release({best->piece.end - count, best->piece.end});
			else
				release({best->piece.first, best->piece.first + count});
			count = 0;
		}
	}

	void give(uint32_t first, uint32_t end, OwnerIndex owner)
	{
		assert(deficit_[owner] >= end - first);
		for (uint32_t b = first; b < end; b++)
			slot_[b] = owner;
		deficit_[owner] -= end - first;
	}

	// Free ranges go to the owners below their quota: first a range
	// between two runs of one receiver that can take all of it (two runs
	// become one), then from each end of a range to the receiver next to
	// it (its run grows), then what is left whole to the receiver whose
	// deficit fits it best, split only when no receiver can take it whole.
	void fill_free_ranges()
	{
		std::vector<Range> free_ranges;
		for (uint32_t b = 0; b < size();) {
			uint32_t e = b;
			while (e < size() && slot_[e] == released)
				e++;
			if (e > b)
				free_ranges.push_back({b, e});
			b = e + 1;
		}

		std::vector<size_t> joining;
		for (size_t i = 0; i < free_ranges.size(); i++) {
			const Range &r = free_ranges[i];
			if (r.first > 0 && r.end < size() && slot_[r.first - 1] == slot_[r.end] &&
			    wants(slot_[r.end]))
				joining.push_back(i);
		}
		std::stable_sort(joining.begin(), joining.end(), [&](size_t a, size_t b) {
			return free_ranges[a].length() < free_ranges[b].length();
		});
		for (const size_t i : joining) {
			Range &r = free_ranges[i];
			const OwnerIndex o = slot_[r.end];
			if (deficit_[o] >= r.length()) {
				give(r.first, r.end, o);
				r.first = r.end;
			}
		}

		for (Range &r : free_ranges) {
			if (r.length() > 0 && r.first > 0 && wants(slot_[r.first - 1])) {
				const OwnerIndex o = slot_[r.first - 1];
				const uint32_t take = std::min(deficit_[o], r.length());
				give(r.first, r.first + take, o);
				r.first += take;
			}
			if (r.length() > 0 && r.end < size() && wants(slot_[r.end])) {
				const OwnerIndex o = slot_[r.end];
				const uint32_t take = std::min(deficit_[o], r.length());
				give(r.end - take, r.end, o);
				r.end -= take;
			}
		}

		std::erase_if(free_ranges, [](const Range &r) { return r.length() == 0; });
		std::stable_sort(
			free_ranges.begin(), free_ranges.end(),
			[](const Range &a, const Range &b) { return a.length() > b.length(); });
		std::set<std::pair<uint32_t, OwnerIndex>> receivers; // (deficit, owner)
		for (OwnerIndex o = 0; o < deficit_.size(); o++)
			if (deficit_[o] > 0)
				receivers.insert({deficit_[o], o});
		for (Range r : free_ranges) {
			while (r.length() > 0) {
				assert(!receivers.empty());
				auto it = receivers.lower_bound({r.length(), 0});
				if (it == receivers.end()) // nobody takes it whole
					it = receivers.lower_bound({receivers.rbegin()->first, 0});
				const auto [deficit, o] = *it;
				receivers.erase(it);
				const uint32_t take = std::min(deficit, r.length());
				give(r.first, r.first + take, o);
				r.first += take;
				if (deficit_[o] > 0)
					receivers.insert({deficit_[o], o});
			}
		}
		assert(receivers.empty());
	}

	std::vector<OwnerIndex> slot_;
	std::vector<uint8_t> young_;	   // per bucket: moved less than daisy_timeout ago
	std::vector<OwnerIndex> previous_; // per bucket: its previous owner, if in the pool
	std::array<std::vector<uint32_t>, 2> budget_; // to free: [0] seasoned, [1] young
	std::vector<uint32_t> deficit_;		      // to take
};

bool is_young(const Bucket &bucket, uint32_t now, uint32_t daisy_timeout)
{
	if (bucket.changed_at == 0)
		return false;
	// A change in the future (the clock went back) counts as recent.
	return bucket.changed_at > now || now - bucket.changed_at < daisy_timeout;
}

} // namespace

uint32_t default_bucket_count(size_t backends)
{
	const uint64_t wanted = uint64_t{2} * buckets_per_backend * backends;
	return static_cast<uint32_t>(
		std::clamp<uint64_t>(wanted, min_default_bucket_count, max_bucket_count));
}

Result<std::monostate, AssignError> check_pool(std::span<const Backend> pool, uint32_t bucket_count)
{
	if (bucket_count < min_bucket_count || bucket_count > max_bucket_count)
		return fail(Kind::bucket_count_out_of_range,
			    "bucket count " + std::to_string(bucket_count) + " is out of range " +
				    std::to_string(min_bucket_count) + ".." +
				    std::to_string(max_bucket_count));
	for (const Backend &backend : pool) {
		const std::string_view unusable = unusable_node_address(backend.dip.address);
		if (!unusable.empty())
			return fail(Kind::unusable_dip, "DIP " + to_string(backend.dip) + " is " +
								std::string(unusable));
		if (backend.weight < min_weight || backend.weight > max_weight)
			return fail(Kind::weight_out_of_range,
				    "weight " + std::to_string(backend.weight) + " of DIP " +
					    to_string(backend.dip) + " is out of range " +
					    std::to_string(min_weight) + ".." +
					    std::to_string(max_weight));
		if (is_v6(backend.dip) != is_v6(pool[0].dip))
			return fail(
				Kind::mixed_families,
				"DIP " + to_string(backend.dip) + " is " +
					std::string(family_name(backend.dip)) + " but DIP " +
					to_string(pool[0].dip) + " is " +
					std::string(family_name(pool[0].dip)) +
					": the DIPs of a VIP are all of one family (the tunnel's)");
	}
	std::vector<Dip> dips;
	for (const Backend &backend : pool)
		dips.push_back(backend.dip);
	std::sort(dips.begin(), dips.end());
	const auto twice = std::adjacent_find(dips.begin(), dips.end());
	if (twice != dips.end())
		return fail(Kind::duplicate_dip,
			    "DIP " + to_string(*twice) + " is twice in the pool");
	const uint64_t needed = uint64_t{buckets_per_backend} * pool.size();
	if (bucket_count < needed)
		return fail(Kind::bucket_count_too_small,
			    "bucket count " + std::to_string(bucket_count) + " is too small for " +
				    std::to_string(pool.size()) + " backends: it needs " +
				    std::to_string(buckets_per_backend) + " per backend, " +
				    std::to_string(needed));
	return std::monostate{};
}

Result<BucketMap, AssignError> assign(std::span<const Backend> pool, const BucketMap &current,
				      uint32_t bucket_count, uint32_t now, uint32_t daisy_timeout)
{
	if (now == 0)
		return fail(Kind::invalid_time,
			    "time 0 is not a time of change (changed_at 0 means never moved)");
	if (auto checked = check_pool(pool, bucket_count); !checked)
		return unexpected(checked.error());
	if (!current.buckets.empty() && current.buckets.size() != bucket_count)
		return fail(Kind::bucket_count_changed,
			    "bucket count " + std::to_string(bucket_count) +
				    " differs from the VIP's " +
				    std::to_string(current.buckets.size()) +
				    ": a VIP keeps its bucket count for life (a new one would move "
				    "almost every flow)");
	if (!pool.empty())
		for (const Bucket &bucket : current.buckets)
			for (const std::optional<Dip> *dip : {&bucket.owner, &bucket.previous})
				if (*dip && is_v6(**dip) != is_v6(pool[0].dip))
					return fail(Kind::mixed_families,
						    "DIP " + to_string(pool[0].dip) + " is " +
							    std::string(family_name(pool[0].dip)) +
							    " but the VIP's buckets hold " +
							    std::string(family_name(**dip)) +
							    " DIP " + to_string(**dip) +
							    ": the DIPs of a VIP are all of one "
							    "family");

	const std::vector<Bucket> no_buckets(bucket_count);
	const std::vector<Bucket> &before = current.buckets.empty() ? no_buckets : current.buckets;

	Owners owners(pool, current);
	std::vector<OwnerIndex> slots(bucket_count, ownerless);
	std::vector<uint8_t> young(bucket_count);
	std::vector<OwnerIndex> previous(bucket_count, ownerless);
	bool anything_owned = false;
	for (uint32_t b = 0; b < bucket_count; b++) {
		const Bucket &bucket = before[b];
		young[b] = is_young(bucket, now, daisy_timeout);
		if (bucket.previous)
			if (const auto index = owners.find(*bucket.previous))
				previous[b] = *index;
		if (!bucket.owner)
			continue;
		anything_owned = true;
		slots[b] = (b > 0 && before[b - 1].owner == bucket.owner)
				   ? slots[b - 1]
				   : *owners.find(*bucket.owner);
		owners[slots[b]].held++;
	}
	set_quotas(owners, bucket_count);
	const std::vector<OwnerIndex> old_slots = slots;

	const bool anyone_active = std::any_of(owners.begin(), owners.end(),
					       [](const Owner &o) { return o.weight > 0; });
	if (!anyone_active) {
		std::fill(slots.begin(), slots.end(), ownerless);
	} else if (!anything_owned) {
		// A new map (or one whose backends were all inactive): one block
		// per backend, in DIP order.
		uint32_t next = 0;
		for (OwnerIndex o = 0; o < owners.size(); o++)
			for (uint32_t n = 0; n < owners[o].quota; n++)
				slots[next++] = o;
		assert(next == bucket_count);
	} else {
		slots = Rebalance(std::move(slots), std::move(young), std::move(previous), owners)
				.run();
	}

	BucketMap next{current.generation, before};
	bool changed = current.buckets.empty();
	for (uint32_t b = 0; b < bucket_count; b++) {
		if (slots[b] == old_slots[b])
			continue;
		changed = true;
		Bucket &bucket = next.buckets[b];
		// A bucket that never had an owner has no connections to chain:
		// its first owner is not a move.
		if (bucket.owner || bucket.previous) {
			if (bucket.owner)
				bucket.previous = bucket.owner;
			bucket.changed_at = now;
		}
		if (slots[b] == ownerless)
			bucket.owner.reset();
		else
			bucket.owner = owners[slots[b]].dip;
	}
	if (!changed)
		return current;
	next.generation++;
	return next;
}

} // namespace iplb::lb
