#pragma once
// lib/port's side of fptcp/log.hh.

namespace fptcp::port {

// After rte_eal_init, whose --log-level=*:error reached fptcp's type too:
// the level set_log_level() asked for, again.
void restore_log_level();

}  // namespace fptcp::port
