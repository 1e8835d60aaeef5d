#include "fptcp/log.hh"

#include <rte_log.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>

#include "port/log_internal.hh"

namespace fptcp {

namespace {

std::atomic<log_level> wanted{log_level::notice};

// Registered on first use (before or after the EAL starts); the EAL's own
// type if DPDK refuses a new one.
uint32_t registered_logtype() {
    static const uint32_t type = [] {
        int t = rte_log_register_type_and_pick_level("fptcp", RTE_LOG_NOTICE);
        return t < 0 ? uint32_t{RTE_LOGTYPE_EAL} : static_cast<uint32_t>(t);
    }();
    return type;
}

}  // namespace

void set_log_level(log_level level) {
    wanted.store(level, std::memory_order_relaxed);
    rte_log_set_level(registered_logtype(), static_cast<uint32_t>(level));
}

void log(log_level level, const char* format, ...) {
    char line[512];
    va_list args;
    va_start(args, format);
    std::vsnprintf(line, sizeof(line), format, args);
    va_end(args);
    rte_log(static_cast<uint32_t>(level), registered_logtype(), "fptcp: %s\n", line);
}

namespace port {

void restore_log_level() { set_log_level(wanted.load(std::memory_order_relaxed)); }

}  // namespace port

}  // namespace fptcp
