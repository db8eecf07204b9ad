// SPDX-License-Identifier: GPL-2.0-or-later
#include "mptcp/token_table.hpp"

namespace iplb::mptcp {

TokenChange TokenTable::apply(const Event &event)
{
	switch (event.kind) {
	case EventKind::created:
	case EventKind::established: {
		if (!event.server_side)
			return TokenChange::none;
		const Connection connection{event.local, event.local_port, event.remote,
					    event.remote_port};
		const auto [it, inserted] = connections_.try_emplace(event.token, connection);
		if (!inserted)
			it->second = connection;
		return inserted ? TokenChange::added : TokenChange::none;
	}
	case EventKind::closed:
		return connections_.erase(event.token) ? TokenChange::removed : TokenChange::none;
	default:
		return TokenChange::none;
	}
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
	return out;
}

} // namespace iplb::mptcp
