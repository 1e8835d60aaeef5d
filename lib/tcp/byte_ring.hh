#pragma once
// A byte ring over storage the owner provides (the core never allocates).
// Holds the send buffer (from SND.UNA on) and the receive buffer (unread
// in-order data, then out-of-order data placed at its offset).

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <span>

namespace fptcp::tcp {

class byte_ring {
    uint8_t* _base = nullptr;
    uint32_t _capacity = 0;
    uint32_t _head = 0;  // index of the first byte held
    uint32_t _size = 0;  // bytes held from _head on

    uint32_t index(uint32_t offset) const {
        uint32_t i = _head + offset;
        return i >= _capacity ? i - _capacity : i;
    }

public:
    byte_ring() = default;
    explicit byte_ring(std::span<uint8_t> storage)
        : _base(storage.data()), _capacity(static_cast<uint32_t>(storage.size())) {}

    uint32_t capacity() const { return _capacity; }
    uint32_t size() const { return _size; }
    uint32_t free_space() const { return _capacity - _size; }
    uint8_t* storage() const { return _base; }

    // Copies `data` to `offset` bytes past the head, without changing size();
    // offset + data.size() must not exceed the capacity.
    void write_at(uint32_t offset, std::span<const uint8_t> data) {
        if (data.empty()) return;  // an empty span may hold a null pointer: memcpy must not see it
        uint32_t start = index(offset);
        uint32_t first = std::min<uint32_t>(static_cast<uint32_t>(data.size()), _capacity - start);
        std::memcpy(_base + start, data.data(), first);
        std::memcpy(_base, data.data() + first, data.size() - first);
    }

    // Appends up to free_space() bytes; returns how many were taken.
    uint32_t append(std::span<const uint8_t> data) {
        uint32_t n = std::min<uint32_t>(free_space(), static_cast<uint32_t>(data.size()));
        write_at(_size, data.first(n));
        _size += n;
        return n;
    }

    // Marks `n` more bytes after the current end as held (they were written
    // with write_at, e.g. by reassembly).
    void extend(uint32_t n) { _size += n; }

    // Drops `n` bytes from the head (acknowledged, or consumed by the reader).
    void consume(uint32_t n) {
        _head = index(n);
        _size -= n;
    }

    // Views of `len` bytes starting `offset` bytes past the head: two spans
    // because the region may wrap.
    std::array<std::span<const uint8_t>, 2> view(uint32_t offset, uint32_t len) const {
        uint32_t start = index(offset);
        uint32_t first = std::min(len, _capacity - start);
        return {std::span<const uint8_t>(_base + start, first), std::span<const uint8_t>(_base, len - first)};
    }
};

}  // namespace fptcp::tcp
