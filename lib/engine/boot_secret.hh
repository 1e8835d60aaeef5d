#pragma once
// ISNs that keep increasing when a program restarts, as Linux's do.
//
// RFC 6528's ISN is M + F(tuple, key): a 4-microsecond timer plus a keyed
// hash. With a key and a timer of its own per process, a restarted fptcp
// (fptcp-gen, a proxy) starts each tuple at an unrelated ISN and TSval (the
// TSval offset is the ISN, RFC 7323 7.1), and a Linux peer still holding
// that tuple in TIME_WAIT takes the new SYN for an old duplicate: it answers
// with an ACK, gets our RST, and the connection opens only when our SYN is
// retransmitted a second later (RFC 6191 and RFC 7323 5.4 describe the
// check). Linux avoids it with one key per boot and a timer that counts
// from boot; the engine does the same: the key below, and M counted from
// boot (CLOCK_MONOTONIC).

#include <chrono>

#include "tcp/isn.hh"

namespace fptcp::engine {

// This boot's ISN key, kept in /run/fptcp/isn-key (/run is a tmpfs emptied
// at each boot; the file is root's, mode 0600), made by the first process
// that needs it. A fresh random key when the file can be neither read nor
// made (not root, no /run): ISNs are then unrelated across restarts again,
// but still unpredictable.
tcp::isn_secret boot_isn_secret();

// CLOCK_MONOTONIC: the time since boot.
std::chrono::microseconds since_boot();

}  // namespace fptcp::engine
