#pragma once
// CPU lists as text, as DPDK's -l takes them ("0", "0-3", "1,3,5-6"): for
// runtime_settings::cpus and programs' command lines.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fptcp {

// CPU numbers stay below this (RTE_MAX_LCORE of Debian 12's DPDK 22.11; the
// runtime checks that they agree).
inline constexpr unsigned max_cpus = 128;

// The CPUs of the list, in the order given; nullopt and `error` when it is
// malformed, empty, names a CPU twice or one of max_cpus or above.
std::optional<std::vector<unsigned>> parse_cpu_list(std::string_view list, std::string& error);

}  // namespace fptcp
