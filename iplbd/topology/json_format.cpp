// SPDX-License-Identifier: GPL-2.0-or-later
#include "topology/json_format.hpp"

#include "util/read_file.hpp"

#include <nlohmann/json.hpp>

#include <set>

namespace iplb {

namespace {

using json = nlohmann::json;
// Output keeps the documented field order.
using ordered = nlohmann::ordered_json;

// Where in the document a value sits, for error messages.
std::string at(std::string_view array, size_t index, std::string_view field = {})
{
	std::string where = std::string(array) + "[" + std::to_string(index) + "]";
	if (!field.empty())
		where += "." + std::string(field);
	return where;
}

Error field_error(const std::string &where, const std::string &what)
{
	return Error{where + ": " + what};
}

Status only_fields(const json &object, const std::string &where,
		   std::initializer_list<std::string_view> allowed)
{
	if (!object.is_object())
		return unexpected(field_error(where, "expected an object"));
	for (const auto &[key, value] : object.items()) {
		bool known = false;
		for (auto name : allowed)
			known = known || key == name;
		if (!known)
			return unexpected(field_error(where, "unknown field '" + key + "'"));
	}
	return ok();
}

Result<Ipv4, Error> address_field(const json &object, const std::string &where,
				  std::string_view field)
{
	const std::string place = where + "." + std::string(field);
	auto it = object.find(std::string(field));
	if (it == object.end())
		return unexpected(field_error(place, "missing"));
	if (!it->is_string())
		return unexpected(field_error(place, "expected a string A.B.C.D"));
	auto address = parse_ipv4(it->get<std::string>());
	if (!address)
		return unexpected(field_error(place, address.error().message));
	return *address;
}

Result<uint32_t, Error> number_field(const json &object, const std::string &where,
				     std::string_view field, std::optional<uint32_t> fallback)
{
	const std::string place = where + "." + std::string(field);
	auto it = object.find(std::string(field));
	if (it == object.end()) {
		if (fallback)
			return *fallback;
		return unexpected(field_error(place, "missing"));
	}
	if (!it->is_number_integer())
		return unexpected(field_error(place, "expected an integer"));
	const auto value = it->get<int64_t>();
	if (value < 0 || value > 0xffffffffLL)
		return unexpected(field_error(place, std::to_string(value) + " is out of range"));
	return static_cast<uint32_t>(value);
}

const json *array_field(const json &document, std::string_view name)
{
	auto it = document.find(std::string(name));
	return it == document.end() ? nullptr : &*it;
}

// The builder's messages name the elements; prefix them with the place.
Status placed(Status status, const std::string &where)
{
	if (!status)
		return unexpected(field_error(where, status.error().message));
	return status;
}

Result<TopologySnapshot, Error> build_from(const json &document)
{
	if (auto s =
		    only_fields(document, "topology", {"routers", "networks", "links", "prefixes"});
	    !s)
		return unexpected(s.error());
	for (auto name : {"routers", "networks", "links", "prefixes"})
		if (const json *array = array_field(document, name); array && !array->is_array())
			return unexpected(Error{std::string(name) + ": expected an array"});

	TopologyBuilder builder;
	if (const json *routers = array_field(document, "routers")) {
		for (size_t i = 0; i < routers->size(); i++) {
			const json &r = (*routers)[i];
			const auto where = at("routers", i);
			if (auto s = only_fields(r, where, {"id", "relay"}); !s)
				return unexpected(s.error());
			auto id = address_field(r, where, "id");
			if (!id)
				return unexpected(id.error());
			std::optional<Ipv4> relay;
			if (r.contains("relay")) {
				auto parsed = address_field(r, where, "relay");
				if (!parsed)
					return unexpected(parsed.error());
				relay = *parsed;
			}
			if (auto s = placed(builder.add_router(*id, relay), where); !s)
				return unexpected(s.error());
		}
	}
	if (const json *networks = array_field(document, "networks")) {
		for (size_t i = 0; i < networks->size(); i++) {
			const json &n = (*networks)[i];
			const auto where = at("networks", i);
			if (auto s = only_fields(n, where, {"id", "routers"}); !s)
				return unexpected(s.error());
			auto id = address_field(n, where, "id");
			if (!id)
				return unexpected(id.error());
			if (auto s = placed(builder.add_network(*id), where); !s)
				return unexpected(s.error());
			auto members = n.find("routers");
			if (members == n.end() || !members->is_array())
				return unexpected(
					field_error(where + ".routers", "expected an array"));
			for (size_t m = 0; m < members->size(); m++) {
				const auto member_where =
					where + ".routers[" + std::to_string(m) + "]";
				if (!(*members)[m].is_string())
					return unexpected(
						field_error(member_where, "expected a string"));
				auto router = parse_ipv4((*members)[m].get<std::string>());
				if (!router)
					return unexpected(
						field_error(member_where, router.error().message));
				if (auto s = placed(builder.attach_to_network(*id, *router),
						    member_where);
				    !s)
					return unexpected(s.error());
			}
		}
	}
	if (const json *links = array_field(document, "links")) {
		for (size_t i = 0; i < links->size(); i++) {
			const json &l = (*links)[i];
			const auto where = at("links", i);
			if (auto s = only_fields(l, where, {"from", "to", "cost"}); !s)
				return unexpected(s.error());
			auto from = address_field(l, where, "from");
			if (!from)
				return unexpected(from.error());
			auto to = address_field(l, where, "to");
			if (!to)
				return unexpected(to.error());
			auto cost = number_field(l, where, "cost", std::nullopt);
			if (!cost)
				return unexpected(cost.error());
			if (auto s = placed(builder.add_link(*from, *to, *cost), where); !s)
				return unexpected(s.error());
		}
	}
	if (const json *prefixes = array_field(document, "prefixes")) {
		for (size_t i = 0; i < prefixes->size(); i++) {
			const json &p = (*prefixes)[i];
			const auto where = at("prefixes", i);
			if (auto s = only_fields(p, where, {"router", "prefix", "cost", "kind"});
			    !s)
				return unexpected(s.error());
			auto router = address_field(p, where, "router");
			if (!router)
				return unexpected(router.error());
			auto text = p.find("prefix");
			if (text == p.end() || !text->is_string())
				return unexpected(field_error(at("prefixes", i, "prefix"),
							      "expected a string A.B.C.D/L"));
			auto prefix = parse_prefix(text->get<std::string>());
			if (!prefix)
				return unexpected(field_error(at("prefixes", i, "prefix"),
							      prefix.error().message));
			auto cost = number_field(p, where, "cost", 0u);
			if (!cost)
				return unexpected(cost.error());
			PrefixKind kind = PrefixKind::stub;
			if (auto k = p.find("kind"); k != p.end()) {
				if (!k->is_string())
					return unexpected(field_error(at("prefixes", i, "kind"),
								      "expected a string"));
				auto parsed = parse_prefix_kind(k->get<std::string>());
				if (!parsed)
					return unexpected(field_error(at("prefixes", i, "kind"),
								      parsed.error().message));
				kind = *parsed;
			}
			if (auto s = placed(builder.add_prefix(*router, *prefix, *cost, kind),
					    where);
			    !s)
				return unexpected(s.error());
		}
	}
	return builder.build();
}

} // namespace

Result<TopologySnapshot, Error> parse_topology_json(std::string_view text)
{
	json document;
	try {
		document = json::parse(text.begin(), text.end());
	} catch (const json::parse_error &e) {
		// e.what() is "[json.exception.parse_error.101] parse error at line L,
		// column C: ..."; keep what follows the tag.
		std::string what = e.what();
		if (auto pos = what.find("] "); pos != std::string::npos)
			what = what.substr(pos + 2);
		return unexpected(Error{what});
	}
	return build_from(document);
}

Result<TopologySnapshot, Error> load_topology_file(const std::string &path)
{
	auto text = read_file_bounded(path, max_topology_file_bytes, "a topology file");
	if (!text)
		return unexpected(text.error());
	auto topology = parse_topology_json(*text);
	if (!topology)
		return unexpected(Error{path + ": " + topology.error().message});
	return topology;
}

std::string topology_to_json(const Topology &t)
{
	std::string out = "{\n  \"routers\": [";
	const char *sep = "\n    ";
	for (const Node &n : t.nodes()) {
		if (n.kind != NodeKind::router)
			continue;
		ordered r = {{"id", to_string(n.id)}, {"relay", to_string(n.relay)}};
		out += sep + r.dump();
		sep = ",\n    ";
	}
	out += "\n  ],\n  \"networks\": [";
	sep = "\n    ";
	for (Topology::Vertex v = 0; v < t.vertex_count(); v++) {
		if (t.node(v).kind != NodeKind::network)
			continue;
		ordered members = ordered::array();
		t.for_each_out(v, [&](auto router, auto) {
			members.push_back(to_string(t.node(router).id));
		});
		ordered n = {{"id", to_string(t.node(v).id)}, {"routers", members}};
		out += sep + n.dump();
		sep = ",\n    ";
	}
	out += "\n  ],\n  \"links\": [";
	sep = "\n    ";
	for (Topology::Vertex v = 0; v < t.vertex_count(); v++) {
		if (t.node(v).kind != NodeKind::router)
			continue;
		t.for_each_out(v, [&](auto to, auto cost) {
			ordered l = {{"from", to_string(t.node(v).id)},
				     {"to", to_string(t.node(to).id)},
				     {"cost", cost}};
			out += sep + l.dump();
			sep = ",\n    ";
		});
	}
	out += "\n  ],\n  \"prefixes\": [";
	sep = "\n    ";
	for (const PrefixRoute &p : t.prefixes()) {
		ordered j = {{"router", to_string(t.node(p.vertex).id)},
			     {"prefix", to_string(p.prefix)},
			     {"cost", p.cost},
			     {"kind", std::string(to_string(p.kind))}};
		out += sep + j.dump();
		sep = ",\n    ";
	}
	out += "\n  ]\n}\n";
	return out;
}

} // namespace iplb
