#include "wire/tcp_options.hh"

#include <algorithm>

#include "wire/bytes.hh"

namespace fptcp::wire {

namespace {

// RFC 2018 section 3: 2 bytes of kind and length, then 8 bytes per block.
constexpr std::size_t sack_block_size = 8;
constexpr std::size_t sack_lead_size = 4;  // NOP, NOP, kind, length

// Stores one option of known `kind`; `opt` is the whole option, kind and
// length bytes included, and lies within the header. A wrong length for a
// known kind fails the segment.
parse_error store_option(uint8_t kind, std::span<const uint8_t> opt, tcp_options& out) {
    const uint8_t* p = opt.data();
    const std::size_t len = opt.size();
    switch (kind) {
        case tcp_option_kind::mss:  // RFC 9293 section 3.2
            if (len != 4) return parse_error::bad_tcp_option_size_for_kind;
            out.mss = load_be16(p + 2);
            return parse_error::none;
        case tcp_option_kind::window_scale:  // RFC 7323 section 2.2; kept as received
            if (len != 3) return parse_error::bad_tcp_option_size_for_kind;
            out.window_shift = p[2];
            return parse_error::none;
        case tcp_option_kind::sack_permitted:  // RFC 2018 section 2
            if (len != 2) return parse_error::bad_tcp_option_size_for_kind;
            out.sack_permitted = true;
            return parse_error::none;
        case tcp_option_kind::sack: {  // RFC 2018 section 3
            const std::size_t blocks = (len - 2) / sack_block_size;
            if ((len - 2) % sack_block_size != 0 || blocks < 1 ||
                blocks > tcp_options::max_sack_blocks) {
                return parse_error::bad_tcp_option_size_for_kind;
            }
            for (std::size_t b = 0; b < blocks; ++b) {
                const uint8_t* q = p + 2 + b * sack_block_size;
                out.sack[b] = sack_block{load_be32(q), load_be32(q + 4)};
            }
            out.sack_count = static_cast<uint8_t>(blocks);
            return parse_error::none;
        }
        case tcp_option_kind::timestamps:  // RFC 7323 section 3.2
            if (len != 10) return parse_error::bad_tcp_option_size_for_kind;
            out.has_timestamps = true;
            out.ts_val = load_be32(p + 2);
            out.ts_ecr = load_be32(p + 6);
            return parse_error::none;
        default:  // RFC 9293 section 3.1: unknown kinds are skipped by length
            return parse_error::none;
    }
}

}  // namespace

parse_error parse_tcp_options(std::span<const uint8_t> bytes, tcp_options& out) {
    out = tcp_options{};
    std::size_t i = 0;
    // Every iteration advances i by at least 1: the loop ends.
    while (i < bytes.size()) {
        const uint8_t kind = bytes[i];
        if (kind == tcp_option_kind::eol) break;  // the rest is padding, ignored
        if (kind == tcp_option_kind::nop) {
            ++i;
            continue;
        }
        if (bytes.size() - i < 2) return parse_error::tcp_option_past_header;
        const uint8_t len = bytes[i + 1];
        if (len < 2) return parse_error::bad_tcp_option_length;
        if (len > bytes.size() - i) return parse_error::tcp_option_past_header;
        if (parse_error e = store_option(kind, bytes.subspan(i, len), out); e != parse_error::none) {
            return e;
        }
        i += len;
    }
    return parse_error::none;
}

namespace {

// Appends option bytes to `out` at `n`; the callers below never exceed 40.
class option_writer {
public:
    explicit option_writer(std::span<uint8_t, max_tcp_options_size> out) : _out(out) {}

    std::size_t size() const { return _n; }
    std::size_t room() const { return _out.size() - _n; }
    void u8(uint8_t v) { _out[_n++] = v; }
    void u16(uint16_t v) {
        store_be16(&_out[_n], v);
        _n += 2;
    }
    void u32(uint32_t v) {
        store_be32(&_out[_n], v);
        _n += 4;
    }

private:
    std::span<uint8_t, max_tcp_options_size> _out;
    std::size_t _n = 0;
};

// SACK-permitted and timestamps, laid out as Linux does: a SYN carrying both
// packs them into 12 bytes without NOPs.
void write_sack_permitted_and_timestamps(const tcp_options& opts, bool syn, option_writer& w) {
    const bool sack_ok = syn && opts.sack_permitted;
    if (sack_ok && opts.has_timestamps) {
        w.u8(tcp_option_kind::sack_permitted);
        w.u8(2);
    } else if (sack_ok) {
        w.u8(tcp_option_kind::nop);
        w.u8(tcp_option_kind::nop);
        w.u8(tcp_option_kind::sack_permitted);
        w.u8(2);
    } else if (opts.has_timestamps) {
        w.u8(tcp_option_kind::nop);
        w.u8(tcp_option_kind::nop);
    }
    if (opts.has_timestamps) {
        w.u8(tcp_option_kind::timestamps);
        w.u8(10);
        w.u32(opts.ts_val);
        w.u32(opts.ts_ecr);
    }
}

void write_sack_blocks(const tcp_options& opts, option_writer& w) {
    std::size_t count = sack_blocks_that_fit(opts.sack_count, w.room());
    if (count == 0) return;
    w.u8(tcp_option_kind::nop);
    w.u8(tcp_option_kind::nop);
    w.u8(tcp_option_kind::sack);
    w.u8(static_cast<uint8_t>(2 + count * sack_block_size));
    for (std::size_t b = 0; b < count; ++b) {
        w.u32(opts.sack[b].left);
        w.u32(opts.sack[b].right);
    }
}

}  // namespace

std::size_t write_tcp_options(const tcp_options& opts, bool syn, std::span<uint8_t, 40> out) {
    option_writer w(out);
    if (syn && opts.mss) {  // RFC 9293 section 3.7.1: MSS only on a SYN
        w.u8(tcp_option_kind::mss);
        w.u8(4);
        w.u16(*opts.mss);
    }
    write_sack_permitted_and_timestamps(opts, syn, w);
    if (syn && opts.window_shift) {  // RFC 7323 section 2.2: NOP + 3 bytes
        w.u8(tcp_option_kind::nop);
        w.u8(tcp_option_kind::window_scale);
        w.u8(3);
        w.u8(opts.clamped_shift());  // RFC 7323 section 2.3: never above 14
    }
    write_sack_blocks(opts, w);
    // Every group above is a multiple of 4 bytes: no trailing padding needed.
    return w.size();
}

std::size_t sack_blocks_that_fit(std::size_t blocks, std::size_t room) {
    std::size_t count = std::min(blocks, tcp_options::max_sack_blocks);
    return room < sack_lead_size ? 0 : std::min(count, (room - sack_lead_size) / sack_block_size);
}

std::size_t sack_option_size(std::size_t blocks, std::size_t other_options) {
    std::size_t room = other_options < max_tcp_options_size ? max_tcp_options_size - other_options : 0;
    std::size_t count = sack_blocks_that_fit(blocks, room);
    return count == 0 ? 0 : sack_lead_size + count * sack_block_size;
}

}  // namespace fptcp::wire
