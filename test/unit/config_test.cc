// tcp_config_problem: every rule has a case, and the defaults pass.

#include <gtest/gtest.h>

#include <functional>

#include "fptcp/tcp_config.hh"

namespace fptcp {
namespace {

using namespace std::chrono_literals;

TEST(TcpConfig, DefaultsAreValid) {
    EXPECT_EQ(tcp_config_problem(tcp_config{}), "");
}

// The defaults issue 2 names: keepalive off, 2 h idle, a probe every 75 s,
// 9 probes (RFC 1122 4.2.3.6); MSL 30 s; delayed ACK 40 ms (below RFC 9293
// 3.8.6.3's 500 ms); RFC 6298's 1 s initial RTO.
TEST(TcpConfig, DefaultsAreTheDocumentedValues) {
    const tcp_config c;
    EXPECT_FALSE(c.keepalive);
    EXPECT_EQ(c.keepalive_idle, 2h);
    EXPECT_EQ(c.keepalive_interval, 75s);
    EXPECT_EQ(c.keepalive_probes, 9);
    EXPECT_EQ(c.msl, 30s);
    EXPECT_EQ(c.delayed_ack, 40ms);
    EXPECT_EQ(c.rto_initial, 1s);
}

struct bad_config {
    const char* name;
    std::function<void(tcp_config&)> spoil;
    std::string_view mentions;
};

class TcpConfigRejects : public ::testing::TestWithParam<bad_config> {};

TEST_P(TcpConfigRejects, WithAMessageNamingTheSetting) {
    tcp_config c;
    GetParam().spoil(c);
    std::string_view problem = tcp_config_problem(c);
    EXPECT_NE(problem.find(GetParam().mentions), std::string_view::npos) << problem;
}

INSTANTIATE_TEST_SUITE_P(
    EveryRule, TcpConfigRejects,
    ::testing::Values(
        bad_config{"MinPeerMssBelow64", [](tcp_config& c) { c.min_peer_mss = 63; }, "min_peer_mss"},
        bad_config{"MssBelowFloor", [](tcp_config& c) { c.mss = 60; }, "mss"},
        bad_config{"MssAboveJumbo", [](tcp_config& c) { c.mss = 8961; }, "mss"},
        bad_config{"SendBufferBelowMss", [](tcp_config& c) { c.send_buffer = 1000; }, "send_buffer"},
        bad_config{"ReceiveBufferAboveScaleLimit", [](tcp_config& c) { c.receive_buffer = 1u << 31; },
                   "receive_buffer"},
        bad_config{"NoOooRanges", [](tcp_config& c) { c.max_ooo_ranges = 0; }, "max_ooo_ranges"},
        bad_config{"TooManyOooRanges", [](tcp_config& c) { c.max_ooo_ranges = 4097; }, "max_ooo_ranges"},
        bad_config{"NoSackRanges", [](tcp_config& c) { c.max_sack_ranges = 0; }, "max_sack_ranges"},
        bad_config{"TooManySackRanges", [](tcp_config& c) { c.max_sack_ranges = 4097; }, "max_sack_ranges"},
        bad_config{"ZeroMsl", [](tcp_config& c) { c.msl = 0s; }, "msl"},
        bad_config{"RtoMinAboveInitial", [](tcp_config& c) { c.rto_min = 2000ms; }, "rto_min"},
        bad_config{"RtoInitialAboveMax", [](tcp_config& c) { c.rto_max = 500ms; }, "rto_max"},
        bad_config{"DelayedAckOfHalfASecond", [](tcp_config& c) { c.delayed_ack = 500ms; }, "delayed_ack"},
        bad_config{"ZeroKeepaliveIdle", [](tcp_config& c) { c.keepalive_idle = 0s; }, "keepalive_idle"},
        bad_config{"ZeroKeepaliveProbes", [](tcp_config& c) { c.keepalive_probes = 0; }, "keepalive_probes"},
        bad_config{"ZeroFinWait2Timeout", [](tcp_config& c) { c.fin_wait_2_timeout = 0s; }, "fin_wait_2_timeout"},
        bad_config{"ZeroChallengeAckLimit", [](tcp_config& c) { c.challenge_ack_limit = 0; }, "challenge_ack_limit"}),
    [](const ::testing::TestParamInfo<bad_config>& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace fptcp
