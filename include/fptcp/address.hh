#pragma once
// IPv4 addresses as text, for programs' command lines and output. fptcp
// takes and gives addresses in host byte order.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fptcp {

// Strict dotted quad: four decimal numbers 0-255, no leading zeros ("010"
// is octal to inet_aton(3) and decimal to others, so it is refused).
std::optional<uint32_t> parse_ipv4(std::string_view text);
// "a.b.c.d"
std::string format_ipv4(uint32_t addr);

}  // namespace fptcp
