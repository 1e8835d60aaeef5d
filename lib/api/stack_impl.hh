#pragma once
// What a public fptcp::stack holds: one engine (lib/api only).

#include <array>
#include <atomic>
#include <memory>

#include "engine/engine.hh"
#include "fptcp/stack.hh"
#include "fptcp/stats.hh"

namespace fptcp {

struct stack::impl {
    std::unique_ptr<engine::engine> engine;
    stack_settings settings;
    // The ports listened on (0: a free entry), written by the polling
    // thread, read by any (stack::listening()).
    std::array<std::atomic<uint16_t>, 16> listening{};

    // The public handle around `e`.
    static std::unique_ptr<stack> wrap(std::unique_ptr<engine::engine> e, const stack_settings& s);
};

// Writes engine `e`'s counters into `into` (sized by the stats constructor).
void collect_stats(const engine::engine& e, stats& into);

}  // namespace fptcp
