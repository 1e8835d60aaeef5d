#include "fptcp/address.hh"

#include <charconv>

namespace fptcp {

std::optional<uint32_t> parse_ipv4(std::string_view text) {
    uint32_t addr = 0;
    for (int part = 0; part < 4; ++part) {
        std::size_t dot = text.find('.');
        std::string_view field = part == 3 ? text : text.substr(0, dot);
        if (part < 3 && dot == std::string_view::npos) return std::nullopt;
        if (field.empty() || field.size() > 3 || (field.size() > 1 && field[0] == '0')) return std::nullopt;
        unsigned v = 0;
        auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
        if (ec != std::errc() || end != field.data() + field.size() || v > 255) return std::nullopt;
        addr = (addr << 8) | v;
        if (part < 3) text.remove_prefix(dot + 1);
    }
    return addr;
}

std::string format_ipv4(uint32_t addr) {
    return std::to_string(addr >> 24) + "." + std::to_string((addr >> 16) & 0xff) + "." +
           std::to_string((addr >> 8) & 0xff) + "." + std::to_string(addr & 0xff);
}

}  // namespace fptcp
