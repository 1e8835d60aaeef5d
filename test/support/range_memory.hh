#pragma once
// A range pool (tcp/range_set.hh) with memory of its own, for the owners of
// TCBs in tests, the simulator and the microbenchmarks. The engine maps its
// pool's memory instead (lib/engine/engine.cc). Declare it before the TCBs
// that use it, so that they give their blocks back before it goes.

#include <vector>

#include "tcp/range_set.hh"

namespace fptcp::testing {

class range_memory {
public:
    // Room for four connections' largest sets by default.
    explicit range_memory(std::size_t ranges = 4 * tcp::range_pool::largest_block) : _memory(ranges), pool(_memory) {}

private:
    std::vector<tcp::seq_range> _memory;

public:
    tcp::range_pool pool;
};

}  // namespace fptcp::testing
