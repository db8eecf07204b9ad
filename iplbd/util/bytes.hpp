// SPDX-License-Identifier: GPL-2.0-or-later
// Big-endian (network order) reading and writing over byte spans, with
// bounds checked by the caller through remaining().
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace iplb {

class ByteReader {
public:
	explicit ByteReader(std::span<const uint8_t> data) : data_(data) {}

	size_t remaining() const { return data_.size() - pos_; }
	size_t position() const { return pos_; }

	// Each read requires remaining() >= its size.
	uint8_t u8() { return data_[pos_++]; }
	uint16_t u16()
	{
		uint16_t v = static_cast<uint16_t>(data_[pos_] << 8 | data_[pos_ + 1]);
		pos_ += 2;
		return v;
	}
	uint32_t u32()
	{
		uint32_t v = uint32_t{data_[pos_]} << 24 | uint32_t{data_[pos_ + 1]} << 16 |
			     uint32_t{data_[pos_ + 2]} << 8 | uint32_t{data_[pos_ + 3]};
		pos_ += 4;
		return v;
	}
	void skip(size_t n) { pos_ += n; }
	std::span<const uint8_t> take(size_t n)
	{
		auto part = data_.subspan(pos_, n);
		pos_ += n;
		return part;
	}
	std::span<const uint8_t> rest() const { return data_.subspan(pos_); }

private:
	std::span<const uint8_t> data_;
	size_t pos_ = 0;
};

class ByteWriter {
public:
	void u8(uint8_t v) { out_.push_back(v); }
	void u16(uint16_t v)
	{
		out_.push_back(static_cast<uint8_t>(v >> 8));
		out_.push_back(static_cast<uint8_t>(v));
	}
	void u32(uint32_t v)
	{
		u16(static_cast<uint16_t>(v >> 16));
		u16(static_cast<uint16_t>(v));
	}
	void zeros(size_t n) { out_.insert(out_.end(), n, 0); }
	size_t size() const { return out_.size(); }
	// Overwrites a big-endian u16 written earlier at offset.
	void patch_u16(size_t offset, uint16_t v)
	{
		out_[offset] = static_cast<uint8_t>(v >> 8);
		out_[offset + 1] = static_cast<uint8_t>(v);
	}
	std::vector<uint8_t> take() { return std::move(out_); }

private:
	std::vector<uint8_t> out_;
};

} // namespace iplb
