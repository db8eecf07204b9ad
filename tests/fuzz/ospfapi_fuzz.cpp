// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: bytes as ospfd's API server could send them, through
// everything iplbd does with them: framing, message decoding, LSA parsing,
// the LSDB mirror and the topology built from it. Any crash, sanitizer
// report or exception is a bug; malformed input must only give errors.
//
//   make tests/fuzz/ospfapi-fuzz
//   tests/fuzz/ospfapi-fuzz -max_total_time=600 tests/fuzz/corpus/ospfapi
#include "lsdb/api_protocol.hpp"
#include "lsdb/lsa.hpp"
#include "lsdb/lsa_database.hpp"
#include "lsdb/topology_builder.hpp"
#include "topology/topology_delta.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	using namespace iplb;
	ospfapi::FrameReader reader;
	// Feed in two pieces, so reassembly across reads is exercised too.
	const size_t split = size / 2;
	reader.append({data, split});
	reader.append({data + split, size - split});

	LsaDatabase db;
	for (;;) {
		auto message = reader.next();
		if (!message || !*message)
			break;
		const auto &body = (*message)->body;
		switch (static_cast<ospfapi::MsgType>((*message)->type)) {
		case ospfapi::MsgType::reply:
			(void)ospfapi::decode_reply(body);
			break;
		case ospfapi::MsgType::router_id_change:
			(void)ospfapi::decode_router_id(body);
			break;
		case ospfapi::MsgType::reachable_change:
			(void)ospfapi::decode_reachable_change(body);
			break;
		case ospfapi::MsgType::ism_change:
			(void)ospfapi::decode_ism_change(body);
			break;
		case ospfapi::MsgType::nsm_change:
			(void)ospfapi::decode_nsm_change(body);
			break;
		case ospfapi::MsgType::lsa_update_notify:
		case ospfapi::MsgType::lsa_delete_notify: {
			auto n = ospfapi::decode_lsa_notification(body);
			if (!n)
				break;
			if (!n->truncated && !lsa::parse(n->lsa))
				break; // what the session does with a malformed LSA
			if ((*message)->type ==
			    static_cast<uint8_t>(ospfapi::MsgType::lsa_update_notify))
				db.apply_update(*n);
			else
				db.apply_delete(*n);
			break;
		}
		default:
			break;
		}
	}
	auto built = build_topology(db, {});
	if (built) {
		// Everything appears, then everything goes: both walks of the diff.
		const auto empty = *TopologyBuilder().build();
		const auto appeared = diff(*empty, *built->topology);
		const auto gone = diff(*built->topology, *empty);
		if (summarize(appeared).links_added != built->topology->edge_count() ||
		    summarize(gone).links_removed != built->topology->edge_count())
			__builtin_trap();
		(void)describe(appeared, 5);
	}
	return 0;
}
