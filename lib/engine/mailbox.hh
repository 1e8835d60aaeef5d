#pragma once
// Frames handed from one lcore to another (docs/architecture.md, "Several
// lcores"): a Boost.Lockfree single-producer single-consumer ring per ordered
// pair of lcores, used a burst at a time. It is the only place where two
// lcores touch the same memory.

#include <boost/lockfree/spsc_queue.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

struct rte_mbuf;

namespace fptcp::engine {

class mailbox_grid {
public:
    static constexpr std::size_t depth = 4096;  // frames in flight from one lcore to another
    using queue = boost::lockfree::spsc_queue<rte_mbuf*, boost::lockfree::capacity<depth>>;

    explicit mailbox_grid(uint16_t lcores) : _lcores(lcores), _queues(std::size_t{lcores} * lcores) {
        for (auto& q : _queues) q = std::make_unique<queue>();
    }

    uint16_t lcores() const { return _lcores; }
    // The queue from lcore `from` to lcore `to` (from writes, to reads).
    queue& between(uint16_t from, uint16_t to) { return *_queues[std::size_t{from} * _lcores + to]; }

private:
    uint16_t _lcores;
    std::vector<std::unique_ptr<queue>> _queues;
};

}  // namespace fptcp::engine
