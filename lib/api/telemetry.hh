#pragma once
// The runtime's DPDK telemetry commands, /fptcp/... (telemetry.cc).

#include "fptcp/runtime.hh"

namespace fptcp {

// Registers the commands (once per process) and points them at `rt`.
void attach_telemetry(const runtime& rt);
// Before `rt` goes: the commands then answer with an error.
void detach_telemetry(const runtime& rt);

}  // namespace fptcp
