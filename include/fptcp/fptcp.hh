#pragma once
// fptcp's public API: the one header an embedding application includes.
// docs/api.md explains it; examples/ has complete programs.
//
//   fptcp::runtime::start(settings, ...)   the EAL, the port, the lcores
//   runtime->create_stack(lcore, handler)  one stack per lcore, with your handler
//   stack->listen(port) / connect(...)     passive and active opens
//   runtime->run(tick)                     the loop on every lcore, until stop()
//   fptcp::connection                      send / readable+consume / shutdown / close / abort
//   fptcp::handler                         on_open, on_data, on_writable, on_peer_closed, on_closed
//   fptcp::syn_flood                       a SYN flood on a runtime's port, to test listeners

#include "fptcp/address.hh"
#include "fptcp/cpu_list.hh"
#include "fptcp/log.hh"
#include "fptcp/close_reason.hh"
#include "fptcp/connection.hh"
#include "fptcp/runtime.hh"
#include "fptcp/stack.hh"
#include "fptcp/stack_settings.hh"
#include "fptcp/stats.hh"
#include "fptcp/syn_flood.hh"
#include "fptcp/tcp_config.hh"
#include "fptcp/time.hh"
