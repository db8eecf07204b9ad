// SPDX-License-Identifier: GPL-2.0-or-later
#include "mptcp/token_table.hpp"

namespace iplb::mptcp {
namespace {

// The subflow an event names, as the client sees it (the backend's local
// end is the VIP: it accepted the connection on it).
std::optional<SubflowKey> subflow_of(const Event &event)
{
	if (!event.local || !event.remote || !event.local_port || !event.remote_port ||
	    is_v6(*event.local) != is_v6(*event.remote))
		return std::nullopt;
	return SubflowKey{*event.remote, event.remote_port, *event.local, event.local_port};
}

} // namespace

TableChange TokenTable::apply(const Event &event)
{
	TableChange change;
	switch (event.kind) {
	case EventKind::created:
	case EventKind::established: {
		if (!event.server_side)
			break;
		const auto [it, inserted] = connections_.try_emplace(event.token);
		it->second.local = event.local;
		it->second.local_port = event.local_port;
		it->second.remote = event.remote;
		it->second.remote_port = event.remote_port;
		if (inserted)
			change.token = TokenChange::added;
		break;
	}
	case EventKind::closed: {
		const auto it = connections_.find(event.token);
		if (it == connections_.end())
			break;
		change.left.assign(it->second.joins.begin(), it->second.joins.end());
		join_count_ -= it->second.joins.size();
		connections_.erase(it);
		change.token = TokenChange::removed;
		break;
	}
	case EventKind::sub_established: {
		const auto it = connections_.find(event.token);
		const auto subflow = subflow_of(event);
		if (it == connections_.end() || !subflow)
			break;
		const Connection &held = it->second;
		if (held.remote == subflow->client && held.remote_port == subflow->client_port &&
		    held.local == subflow->vip && held.local_port == subflow->vip_port)
			break;
		if (it->second.joins.insert(*subflow).second) {
			change.joined.push_back(*subflow);
			join_count_++;
		}
		break;
	}
	case EventKind::sub_closed: {
		const auto it = connections_.find(event.token);
		const auto subflow = subflow_of(event);
		if (it != connections_.end() && subflow && it->second.joins.erase(*subflow)) {
			change.left.push_back(*subflow);
			join_count_--;
		}
		break;
	}
	default:
		break;
	}
	return change;
}

TokenTable::Reconciled TokenTable::replace(std::map<uint32_t, Connection> now)
{
	Reconciled out;
	for (const auto &[token, connection] : now)
		if (!connections_.contains(token))
			out.added.emplace(token, connection);
	for (const auto &[token, connection] : connections_)
		if (!now.contains(token))
			out.removed.emplace(token, connection);
	connections_ = std::move(now);
	join_count_ = 0;
	for (const auto &[token, connection] : connections_)
		join_count_ += connection.joins.size();
	return out;
}

std::set<SubflowKey> TokenTable::joins() const
{
	std::set<SubflowKey> out;
	for (const auto &[token, connection] : connections_)
		out.insert(connection.joins.begin(), connection.joins.end());
	return out;
}

} // namespace iplb::mptcp
