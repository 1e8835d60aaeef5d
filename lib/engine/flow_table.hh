#pragma once
// The per-lcore flow table: four-tuple -> Value, fixed capacity, no
// allocation after construction, open addressing with linear probing and
// backward-shift deletion (Knuth TAOCP vol. 3, 6.4, algorithm R).
//
// Layout (docs/benchmarks.md, "Engine data structures", has the figures):
//   - an index of 8-byte slots {hash, node}: 8 slots per cache line, sized
//     so that the load factor stays <= 0.75 when the table is full; the
//     full 32-bit hash is kept as the fingerprint, so a probe compares keys
//     only when the hashes are equal;
//   - a node array {key, free-list link, Value}: the Value's address is
//     stable until erase, and a hit's key compare touches the cache line
//     the caller reads next anyway.
// Both arrays come from mmap with MADV_HUGEPAGE (transparent huge pages:
// at 10^7 entries TLB misses otherwise dominate) and are touched at
// construction, so no page fault happens on the fast path.
//
// Hash: CRC32C of the 12-byte tuple (SSE4.2 crc32 instruction, as DPDK's
// rte_hash_crc). The slot is chosen from the hash by Lemire's multiply-shift
// range reduction, so the slot count needs no power of two.
//
// Not hardened against chosen collisions: CRC is linear, so a peer that
// picks its address and port could aim many tuples at one probe run.

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

#ifdef __SSE4_2__
#include <nmmintrin.h>
#endif

#include "tcp/segment.hh"

namespace fptcp::engine {

using tcp::four_tuple;

static_assert(sizeof(four_tuple) == 12, "the hash reads the tuple as 12 bytes");

namespace detail {

// CRC32C (Castagnoli, reflected polynomial 0x82F63B78) without the initial
// and final inversion, bit by bit: what the crc32 instruction computes.
// Used when the build lacks SSE4.2, and by the test to check the fast path.
constexpr uint32_t crc32c_soft(uint32_t crc, const uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        crc ^= p[i];
        for (int b = 0; b < 8; ++b) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return crc;
}

// Loads the cache line holding p. An asm statement, because GCC 12 at -O2
// deletes __builtin_prefetch from some inlined member functions (two
// prefetches after a computed index: the caller's call is dropped as free of
// side effects), which silently made the TIME_WAIT reaping prefetch a no-op.
inline void prefetch_line(const void* p) {
#if defined(__x86_64__) || defined(__i386__)
    asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
#else
    __builtin_prefetch(p);
#endif
}

// Anonymous memory for large arrays: page-aligned, transparent huge pages
// requested, released in the destructor. Construction happens at start-up,
// where running out of memory throws std::bad_alloc.
class big_buffer {
public:
    big_buffer() = default;
    explicit big_buffer(std::size_t bytes) : _bytes(std::max<std::size_t>(bytes, 1)) {
        void* p = ::mmap(nullptr, _bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
        if (_bytes >= huge_page) ::madvise(p, _bytes, MADV_HUGEPAGE);  // a hint: failure is harmless
        _data = p;
    }
    big_buffer(big_buffer&& o) noexcept
        : _data(std::exchange(o._data, nullptr)), _bytes(std::exchange(o._bytes, 0)) {}
    big_buffer& operator=(big_buffer&& o) noexcept {
        std::swap(_data, o._data);
        std::swap(_bytes, o._bytes);
        return *this;
    }
    big_buffer(const big_buffer&) = delete;
    big_buffer& operator=(const big_buffer&) = delete;
    ~big_buffer() {
        if (_data) ::munmap(_data, _bytes);
    }

    template <class T>
    T* as() const { return static_cast<T*>(_data); }
    std::size_t bytes() const { return _bytes; }

private:
    static constexpr std::size_t huge_page = 2u << 20;
    void* _data = nullptr;
    std::size_t _bytes = 0;
};

}  // namespace detail

// The default hash: CRC32C over the tuple's 12 bytes with a seed.
struct crc32c_tuple_hash {
    uint32_t seed = 0;

    uint32_t operator()(const four_tuple& k) const {
        uint64_t ips;
        uint32_t ports;
        std::memcpy(&ips, &k, 8);
        std::memcpy(&ports, reinterpret_cast<const uint8_t*>(&k) + 8, 4);
#ifdef __SSE4_2__
        return _mm_crc32_u32(static_cast<uint32_t>(_mm_crc32_u64(seed, ips)), ports);
#else
        uint8_t bytes[12];
        std::memcpy(bytes, &ips, 8);
        std::memcpy(bytes + 8, &ports, 4);
        return detail::crc32c_soft(seed, bytes, 12);
#endif
    }
};

// The index alone: four-tuple -> uint32_t node number, where the key of a
// node is read through the caller's key_at(node) (flow_table keeps keys in
// its nodes, time_wait_table in its ring entries, so neither stores a key
// twice). The caller guarantees that a key is inserted at most once and
// that the index never holds more than its capacity.
class flow_index {
public:
    static constexpr uint32_t npos = UINT32_MAX;

    struct slot {
        uint32_t hash;
        uint32_t node;  // npos: empty
    };

    // Load factor <= 0.75 at capacity: ceil(capacity * 4 / 3) slots, and
    // always one empty slot so that every probe ends.
    static uint32_t slots_for(uint32_t capacity) {
        uint64_t n = (static_cast<uint64_t>(capacity) * 4 + 2) / 3;
        return static_cast<uint32_t>(std::min<uint64_t>(std::max<uint64_t>(n, uint64_t{capacity} + 1), UINT32_MAX));
    }

    explicit flow_index(uint32_t capacity)
        : _nslots(slots_for(capacity)), _buf(sizeof(slot) * std::size_t{_nslots}), _slots(_buf.as<slot>()) {
        for (uint32_t i = 0; i < _nslots; ++i) _slots[i] = slot{0, npos};
    }

    uint32_t slot_count() const { return _nslots; }

    // Lemire, "Fast random integer generation in an interval" (2019).
    uint32_t home(uint32_t hash) const {
        return static_cast<uint32_t>((static_cast<uint64_t>(hash) * _nslots) >> 32);
    }
    uint32_t next(uint32_t i) const { return i + 1 == _nslots ? 0 : i + 1; }

    void prefetch(uint32_t hash) const { detail::prefetch_line(&_slots[home(hash)]); }
    // Also the next cache line, where an erase's backward shift may go on.
    void prefetch_run(uint32_t hash) const {
        const slot* s = &_slots[home(hash)];
        detail::prefetch_line(s);
        detail::prefetch_line(s + 8 < _slots + _nslots ? s + 8 : _slots);
    }

    // The node holding key, or npos.
    template <class KeyAt>
    uint32_t find(const four_tuple& key, uint32_t hash, KeyAt&& key_at) const {
        for (uint32_t i = home(hash);; i = next(i)) {
            const slot& s = _slots[i];
            if (s.node == npos) return npos;
            if (s.hash == hash && key_at(s.node) == key) return s.node;
        }
    }

    // First node whose hash matches, from slot i on, for a batched lookup
    // that compares keys later; sets i to the slot where it stopped.
    uint32_t first_candidate(uint32_t hash, uint32_t& i) const {
        for (;; i = next(i)) {
            const slot& s = _slots[i];
            if (s.node == npos || s.hash == hash) return s.node;
        }
    }

    // The key must be absent (find() said so).
    void insert(uint32_t hash, uint32_t node) {
        uint32_t i = home(hash);
        while (_slots[i].node != npos) i = next(i);
        _slots[i] = slot{hash, node};
    }

    // Removes key; returns its node or npos.
    template <class KeyAt>
    uint32_t erase(const four_tuple& key, uint32_t hash, KeyAt&& key_at) {
        for (uint32_t i = home(hash);; i = next(i)) {
            const slot s = _slots[i];
            if (s.node == npos) return npos;
            if (s.hash == hash && key_at(s.node) == key) {
                remove_at(i);
                return s.node;
            }
        }
    }

    // The entry for node (with this hash) now lives in node `to`.
    void renumber(uint32_t hash, uint32_t from, uint32_t to) {
        uint32_t i = home(hash);
        while (_slots[i].node != from) i = next(i);
        _slots[i].node = to;
    }

    template <class F>
    void for_each_node(F&& f) const {
        for (uint32_t i = 0; i < _nslots; ++i)
            if (_slots[i].node != npos) f(_slots[i].node);
    }

private:
    // Backward-shift deletion: pull later members of the probe run into the
    // hole unless that would move one before its home slot.
    void remove_at(uint32_t hole) {
        for (uint32_t j = next(hole);; j = next(j)) {
            if (_slots[j].node == npos) break;
            uint32_t h = home(_slots[j].hash);
            bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
            if (stays) continue;
            _slots[hole] = _slots[j];
            hole = j;
        }
        _slots[hole].node = npos;
    }

    uint32_t _nslots;
    detail::big_buffer _buf;
    slot* _slots;
};

enum class insert_status : uint8_t {
    inserted,  // a new Value was constructed
    exists,    // the key was present: value points to the existing Value
    full,      // no room: value is nullptr
};

template <class Value>
struct insert_result {
    Value* value;
    insert_status status;
};

template <class Value, class Hash = crc32c_tuple_hash>
class flow_table {
public:
    // Lookups per batch in find_burst (an RX burst is 32).
    static constexpr uint32_t burst_chunk = 64;

    explicit flow_table(uint32_t capacity, Hash hash = Hash{})
        : _hash(hash),
          _capacity(capacity),
          _index(capacity),
          _nodes_buf(sizeof(node) * std::size_t{std::max(capacity, 1u)}),
          _nodes(_nodes_buf.as<node>()) {
        for (uint32_t i = 0; i < _capacity; ++i) new (&_nodes[i]) node{four_tuple{}, i + 1, {}};
        _free = _capacity ? 0 : flow_index::npos;
        if (_capacity) _nodes[_capacity - 1].next_free = flow_index::npos;
    }
    flow_table(const flow_table&) = delete;
    flow_table& operator=(const flow_table&) = delete;
    ~flow_table() {
        if constexpr (!std::is_trivially_destructible_v<Value>)
            _index.for_each_node([this](uint32_t n) { _nodes[n].value()->~Value(); });
    }

    Value* find(const four_tuple& key) {
        uint32_t n = _index.find(key, _hash(key), node_key{_nodes});
        return n == flow_index::npos ? nullptr : _nodes[n].value();
    }

    // out[i] = find(keys[i]). All hashes first, each home slot prefetched,
    // then the slots probed and each candidate node prefetched, then the
    // keys compared: a burst pays about one memory latency, not 2n.
    void find_burst(const four_tuple* keys, uint32_t n, Value** out) {
        while (n > 0) {
            uint32_t m = std::min(n, burst_chunk);
            find_chunk(keys, m, out);
            keys += m;
            out += m;
            n -= m;
        }
    }

    // Constructs Value(args...) under key unless the key is present or the
    // table is full (see insert_status).
    template <class... Args>
    insert_result<Value> insert(const four_tuple& key, Args&&... args) {
        uint32_t h = _hash(key);
        uint32_t found = _index.find(key, h, node_key{_nodes});
        if (found != flow_index::npos) return {_nodes[found].value(), insert_status::exists};
        if (_free == flow_index::npos) return {nullptr, insert_status::full};
        uint32_t n = _free;
        node& nd = _nodes[n];
        _free = nd.next_free;
        nd.key = key;
        Value* v = new (nd.storage) Value(std::forward<Args>(args)...);
        _index.insert(h, n);
        ++_size;
        return {v, insert_status::inserted};
    }

    // Destroys the Value under key; false when absent.
    bool erase(const four_tuple& key) {
        uint32_t n = _index.erase(key, _hash(key), node_key{_nodes});
        if (n == flow_index::npos) return false;
        node& nd = _nodes[n];
        nd.value()->~Value();
        nd.next_free = _free;
        _free = n;
        --_size;
        return true;
    }

    // f(const four_tuple&, Value&) for every entry; f must not insert or erase.
    template <class F>
    void for_each(F&& f) {
        _index.for_each_node([&](uint32_t n) { f(std::as_const(_nodes[n].key), *_nodes[n].value()); });
    }

    uint32_t size() const { return _size; }
    uint32_t capacity() const { return _capacity; }
    uint32_t slot_count() const { return _index.slot_count(); }
    // Memory per entry at capacity: node plus index slots.
    double bytes_per_entry() const {
        return static_cast<double>(sizeof(node)) +
               static_cast<double>(sizeof(flow_index::slot)) * _index.slot_count() / std::max(_capacity, 1u);
    }

private:
    struct node {
        four_tuple key;
        uint32_t next_free;  // free-list link while the node is free
        alignas(Value) unsigned char storage[sizeof(Value)];

        Value* value() { return std::launder(reinterpret_cast<Value*>(storage)); }
    };

    struct node_key {
        const node* nodes;
        const four_tuple& operator()(uint32_t n) const { return nodes[n].key; }
    };

    void find_chunk(const four_tuple* keys, uint32_t m, Value** out) {
        uint32_t hash[burst_chunk];
        uint32_t pos[burst_chunk];
        uint32_t cand[burst_chunk];
        for (uint32_t i = 0; i < m; ++i) {
            hash[i] = _hash(keys[i]);
            _index.prefetch(hash[i]);
        }
        for (uint32_t i = 0; i < m; ++i) {
            pos[i] = _index.home(hash[i]);
            cand[i] = _index.first_candidate(hash[i], pos[i]);
            if (cand[i] != flow_index::npos) detail::prefetch_line(&_nodes[cand[i]]);
        }
        for (uint32_t i = 0; i < m; ++i) {
            if (cand[i] == flow_index::npos) {
                out[i] = nullptr;
            } else if (_nodes[cand[i]].key == keys[i]) {
                out[i] = _nodes[cand[i]].value();
            } else {
                out[i] = find(keys[i]);  // equal hashes, other key: rare
            }
        }
    }

    Hash _hash;
    uint32_t _capacity;
    uint32_t _size = 0;
    uint32_t _free;
    flow_index _index;
    detail::big_buffer _nodes_buf;
    node* _nodes;
};

}  // namespace fptcp::engine
