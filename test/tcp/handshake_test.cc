// Opening a connection: RFC 9293 3.5 and 3.10.7.2-3.10.7.3, both roles.

#include "script.hh"

namespace fptcp::tcp::testing {
namespace {

using Handshake = tcp_script;

TEST_F(Handshake, PassiveOpenReachesEstablished) {
    passive_handshake();
    EXPECT_EQ(conn->snd().una, iss() + seq_len(1));
    EXPECT_EQ(conn->rcv().nxt, irs() + seq_len(1));
    EXPECT_TRUE(conn->timestamps_enabled());
    EXPECT_TRUE(conn->sack_enabled());
    EXPECT_EQ(conn->snd().shift, 7);
}

TEST_F(Handshake, ActiveOpenReachesEstablished) {
    active_handshake();
    EXPECT_EQ(conn->snd().una, iss() + seq_len(1));
    EXPECT_EQ(conn->snd().mss, 1460 - 12);
}

}  // namespace
}  // namespace fptcp::tcp::testing
