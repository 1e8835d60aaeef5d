#include "fptcp/cpu_list.hh"

#include <algorithm>
#include <charconv>

namespace fptcp {

namespace {

// One number of a CPU list, consumed from the front of `s`.
std::optional<unsigned> take_cpu(std::string_view& s) {
    unsigned cpu = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), cpu);
    if (ec != std::errc() || cpu >= max_cpus) return std::nullopt;
    s.remove_prefix(static_cast<std::size_t>(end - s.data()));
    return cpu;
}

}  // namespace

std::optional<std::vector<unsigned>> parse_cpu_list(std::string_view list, std::string& error) {
    std::vector<unsigned> cpus;
    std::string_view rest = list;
    // One "N" or "N-M" at the front of `rest`, appended to cpus.
    auto take_range = [&cpus, &rest]() {
        std::optional<unsigned> first = take_cpu(rest), last = first;
        if (first && rest.starts_with('-')) {
            rest.remove_prefix(1);
            last = take_cpu(rest);
        }
        if (!first || !last || *last < *first) return false;
        for (unsigned cpu = *first; cpu <= *last; ++cpu) {
            if (std::find(cpus.begin(), cpus.end(), cpu) != cpus.end()) return false;
            cpus.push_back(cpu);
        }
        return true;
    };
    while (take_range()) {
        if (rest.empty()) return cpus;
        if (!rest.starts_with(',')) break;
        rest.remove_prefix(1);
    }
    error = "\"" + std::string(list) + "\" is not a CPU list like 0, 0-3 or 1,3,5-6 of distinct CPUs below " +
            std::to_string(max_cpus);
    return std::nullopt;
}

}  // namespace fptcp
