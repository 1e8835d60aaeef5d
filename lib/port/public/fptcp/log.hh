#pragma once
// fptcp's log: DPDK's (rte_log), log type "fptcp", so it goes where DPDK's
// own messages go (stderr unless rte_openlog_stream says otherwise) and
// obeys the EAL's --log-level. Start-up facts, warnings and errors; nothing
// on the per-packet path. Part of the public API.

#include <cstdint>
#include <optional>
#include <string_view>

namespace fptcp {

// rte_log's levels (RTE_LOG_ERR .. RTE_LOG_DEBUG).
enum class log_level : uint8_t { error = 4, warning = 5, notice = 6, info = 7, debug = 8 };

// "error", "warning", "notice", "info" or "debug"; nullopt otherwise.
constexpr std::optional<log_level> parse_log_level(std::string_view name) {
    for (auto [n, l] : {std::pair{"error", log_level::error}, {"warning", log_level::warning},
                        {"notice", log_level::notice}, {"info", log_level::info}, {"debug", log_level::debug}}) {
        if (name == n) return l;
    }
    return std::nullopt;
}

// The level fptcp logs at and above (notice by default); it also holds
// across the EAL's start-up, which sets every other type to error.
void set_log_level(log_level level);

// One line (a newline is added), prefixed "fptcp: ", when `level` passes.
void log(log_level level, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace fptcp
