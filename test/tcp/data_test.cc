// Data transfer: RFC 9293 3.8.6 (window management, SWS avoidance, delayed
// ACK), 3.10.7.4 fifth to seventh steps (ACK, URG, text), 3.8.5 (urgent).

#include <chrono>
#include <string>

#include "script.hh"

namespace fptcp::tcp::testing {
namespace {

// Bytes whose value depends on their position, so reordering shows.
std::string pattern(uint32_t from, uint32_t n) {
    std::string s(n, '\0');
    for (uint32_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (from + i) % 26);
    return s;
}

// An established connection with the default (Linux-like) peer.
class DataTransfer : public tcp_script {
protected:
    void SetUp() override { passive_handshake(); }

    // Reads only `n` bytes (app_read takes everything) and collects what the
    // read caused (an empty send is the fixture's way to flush the output).
    std::string read_some(uint32_t n) {
        std::string data;
        for (const auto& part : conn->readable()) data.append(part.begin(), part.end());
        data.resize(std::min<std::size_t>(n, data.size()));
        conn->consume(now, static_cast<uint32_t>(data.size()), out);
        app_send(std::string_view{});
        return data;
    }
};

// A 4096-byte receive buffer (no window scaling on our side): the window
// numbers stay small and exact.
class SmallReceiveBuffer : public DataTransfer {
protected:
    void SetUp() override {
        cfg.receive_buffer = 4096;
        passive_handshake();
    }
};

// The peer does not scale its window: window fields are bytes.
class UnscaledPeer : public DataTransfer {
protected:
    void SetUp() override { passive_handshake({.window_shift = std::nullopt}); }
};

using DataReceive = DataTransfer;
using DataOutOfOrder = DataTransfer;
// At most eight out-of-order ranges per connection.
class EightOutOfOrderRanges : public DataTransfer {
protected:
    void SetUp() override {
        cfg.max_ooo_ranges = 8;
        passive_handshake();
    }
};
using DelayedAck = DataTransfer;
using UrgentData = DataTransfer;
using DataSend = DataTransfer;
// Persist and the RTO on their own: without SACK no tail loss probe.
class ZeroWindowProbe : public DataTransfer {
protected:
    void SetUp() override {
        cfg.receive_buffer = 4096;
        passive_handshake({.sack_permitted = false});
    }
};
using DataSendCustom = tcp_script;  // the test configures, then runs the handshake

constexpr uint32_t full_segment = 1460 - 12;  // peer MSS minus the timestamp option

// --- receiving: RFC 9293 3.10.7.4 seventh step ---

TEST_F(DataReceive, InOrderDataIsDeliveredAndSignalledReadable) {
    inject(seg().ack().psh().seq(1).payload("hello"));
    EXPECT_EQ(take_events(), tcp_events::readable);
    EXPECT_EQ(rcv_nxt(), 6u);
    EXPECT_EQ(app_read(), "hello");
    advance(40ms);
    expect_tx(seg().ack().seq(1).ack_no(6));
    expect_no_tx();
}

TEST_F(DataReceive, ConsecutiveSegmentsAreDeliveredInOrder) {
    inject(seg().ack().seq(1).payload("abc"));
    inject(seg().ack().seq(4).payload("def"));
    inject(seg().ack().seq(7).payload("ghi"));
    EXPECT_EQ(app_read(), "abcdefghi");
    advance(40ms);
    expect_tx(seg().ack().ack_no(10));
    expect_no_tx();
}

// RFC 9293 3.8.6.2.2: the window is the free receive-buffer space, and its
// right edge never moves left.
TEST_F(SmallReceiveBuffer, WindowShrinksToZeroAsTheBufferFillsWithoutReading) {
    inject(seg().ack().seq(1).payload(full_segment));
    inject(seg().ack().seq(1 + full_segment).payload(full_segment));
    expect_tx(seg().ack().ack_no(1 + 2 * full_segment).win(4096 - 2 * full_segment));
    inject(seg().ack().seq(1 + 2 * full_segment).payload(4096 - 2 * full_segment));
    advance(40ms);
    expect_tx(seg().ack().ack_no(4097).win(0));
    expect_no_tx();
    EXPECT_EQ(conn->receive_window(), 0u);
    EXPECT_EQ(conn->rcv().adv, irs() + seq_len(4097));  // the SYN-ACK's right edge, never moved left
}

// RFC 9293 3.8.6.2.2 (receiver SWS avoidance): a window update only when the
// window can grow by min(buffer / 2, MSS).
TEST_F(SmallReceiveBuffer, SmallReadSendsNoWindowUpdate) {
    inject(seg().ack().seq(1).payload(1000));
    advance(40ms);
    expect_tx(seg().ack().ack_no(1001).win(3096));
    EXPECT_EQ(app_read().size(), 1000u);
    expect_no_tx();  // 1000 more bytes of space is less than min(2048, 1460)
}

TEST_F(SmallReceiveBuffer, ReadThatOpensTheWindowEnoughSendsAnUpdate) {
    inject(seg().ack().seq(1).payload(1000));
    advance(40ms);
    expect_tx(seg().ack().ack_no(1001).win(3096));
    EXPECT_EQ(app_read().size(), 1000u);
    expect_no_tx();  // the window would grow by 1000 < min(4096 / 2, 2 * MSS)
    inject(seg().ack().seq(1001).payload(1100));
    advance(40ms);
    expect_tx(seg().ack().ack_no(2101).win(1996));  // right edge held at 4097 (SWS avoidance)
    EXPECT_EQ(app_read().size(), 1100u);
    expect_tx(seg().ack().ack_no(2101).win(4096));  // grows by 2100 >= 2048: an update
    expect_no_tx();
}

TEST_F(SmallReceiveBuffer, ReadingAtZeroWindowOpensItAtOnce) {
    inject(seg().ack().seq(1).payload(4096));
    expect_tx(seg().ack().ack_no(4097).win(0));
    EXPECT_EQ(app_read().size(), 4096u);
    expect_tx(seg().ack().ack_no(4097).win(4096));
    expect_no_tx();
}

TEST_F(SmallReceiveBuffer, PartialReadBelowTheThresholdWaitsThenUpdates) {
    inject(seg().ack().seq(1).payload(4096));
    expect_tx(seg().ack().ack_no(4097).win(0));
    EXPECT_EQ(read_some(1000).size(), 1000u);
    expect_no_tx();  // 1000 < min(4096 / 2, 2 * MSS): no update of its own
    EXPECT_EQ(read_some(1000).size(), 1000u);
    expect_no_tx();  // 2000, still below
    EXPECT_EQ(read_some(100).size(), 100u);
    expect_tx(seg().ack().ack_no(4097).win(2100));
    expect_no_tx();
}

TEST_F(SmallReceiveBuffer, DataBeyondTheWindowIsTrimmed) {
    inject(seg().ack().seq(1).payload(pattern(0, 5000)));
    expect_tx(seg().ack().ack_no(4097).win(0));
    expect_no_tx();
    EXPECT_EQ(app_read(), pattern(0, 4096));
    expect_tx(seg().ack().ack_no(4097).win(4096));
}

// RFC 9293 3.10.7.4 first check: at a zero window "special allowance should
// be made to accept valid ACKs"; the data is not taken.
TEST_F(SmallReceiveBuffer, DataAtZeroWindowIsNotTakenButItsAckIsProcessed) {
    EXPECT_EQ(app_send("ping"), 4u);
    expect_tx(seg().ack().psh().seq(1).ack_no(1).payload("ping"));
    inject(seg().ack().seq(1).ack_no(1).payload(4096));
    expect_tx(seg().ack().ack_no(4097).win(0));
    inject(seg().ack().seq(4097).ack_no(5).payload("more"));
    expect_tx(seg().ack().seq(5).ack_no(4097).win(0));
    expect_no_tx();
    EXPECT_EQ(snd_una(), 5u);
    EXPECT_EQ(rcv_nxt(), 4097u);
    EXPECT_EQ(app_read().size(), 4096u);
    expect_tx(seg().ack().ack_no(4097).win(4096));
}

// A peer whose data reached our right edge, one segment of it lost, sends
// every ACK with SEQ = RCV.NXT + RCV.WND until it resends the lost one: those
// ACKs are acceptable (as Linux's tcp_sequence and the BSDs take them), so
// our own data is acknowledged and nothing waits for the RTO. Before, each
// was refused, and an echo through a lossy path timed out over and over.
TEST_F(SmallReceiveBuffer, EmptySegmentAtTheRightEdgeIsAcceptableAndItsAckProcessed) {
    inject(seg().ack().seq(1001).payload(3096));  // [1000, 4096): the window's end, a hole below
    expect_tx(seg().ack().ack_no(1).win(4096).sack({{1001, 4097}}));
    EXPECT_EQ(app_send("ping"), 4u);
    expect_tx(seg().ack().psh().seq(1).ack_no(1).payload("ping").sack({{1001, 4097}}));
    inject(seg().ack().seq(4097).ack_no(5));  // SEQ = RCV.NXT + RCV.WND
    expect_no_tx();
    EXPECT_EQ(snd_una(), 5u);
    EXPECT_EQ(out.counters.dropped(tcp_drop::not_acceptable), 0u);
    inject(seg().ack().seq(4098).ack_no(5));  // one past the edge: refused, and ACKed
    expect_tx(seg().ack().ack_no(1).win(4096).sack({{1001, 4097}}));
    EXPECT_EQ(out.counters.dropped(tcp_drop::not_acceptable), 1u);
}

// A peer resends data we already have (our ACK of it was lost) while our
// window is closed: the segment ends at RCV.NXT and is acceptable, its text
// old (a D-SACK), and its ACK of our data is read.
TEST_F(SmallReceiveBuffer, OldDataAtAZeroWindowHasItsAckRead) {
    EXPECT_EQ(app_send("ping"), 4u);
    expect_tx(seg().ack().psh().seq(1).ack_no(1).payload("ping"));
    inject(seg().ack().seq(1).ack_no(1).payload(4096));
    expect_tx(seg().ack().ack_no(4097).win(0));
    inject(seg().ack().seq(3097).ack_no(5).payload(1000));  // [3096, 4096) again, now acknowledging "ping"
    expect_tx(seg().ack().seq(5).ack_no(4097).win(0).sack({{3097, 4097}}));
    expect_no_tx();
    EXPECT_EQ(snd_una(), 5u);
    EXPECT_EQ(out.counters.dropped(tcp_drop::not_acceptable), 0u);
}

// Linux probes our closed window with an empty segment at RCV.NXT - 1 (the
// keep-alive shape), acknowledging all it has received: while the window
// stays closed the probes are the peer's only ACKs. Read, and answered.
// Refused, the news waited for our RTO, and a lost ACK cost two of them.
TEST_F(SmallReceiveBuffer, ZeroWindowProbeOneBelowRcvNxtHasItsAckReadAndIsAnswered) {
    EXPECT_EQ(app_send("ping"), 4u);
    expect_tx(seg().ack().psh().seq(1).ack_no(1).payload("ping"));
    inject(seg().ack().seq(1).ack_no(1).payload(4096));
    expect_tx(seg().ack().ack_no(4097).win(0));
    inject(seg().ack().seq(4096).ack_no(5));  // SEQ = RCV.NXT - 1, no text
    expect_tx(seg().ack().seq(5).ack_no(4097).win(0));
    expect_no_tx();
    EXPECT_EQ(snd_una(), 5u);
    EXPECT_EQ(out.counters.dropped(tcp_drop::not_acceptable), 0u);
    inject(seg().ack().seq(4095).ack_no(5));  // two below: refused, and ACKed
    expect_tx(seg().ack().seq(5).ack_no(4097).win(0));
    EXPECT_EQ(out.counters.dropped(tcp_drop::not_acceptable), 1u);
}

TEST_F(SmallReceiveBuffer, SegmentBeyondZeroWindowIsUnacceptableAndAcked) {
    inject(seg().ack().seq(1).payload(4096));
    expect_tx(seg().ack().ack_no(4097).win(0));
    inject(seg().ack().seq(4098).payload("x"));
    expect_tx(seg().ack().ack_no(4097).win(0));
    expect_no_tx();
    EXPECT_EQ(out.counters.dropped(tcp_drop::not_acceptable), 1u);
}

// RFC 9293 3.10.7.4: RST and URG are processed even at a zero window.
TEST_F(SmallReceiveBuffer, RstAtRcvNxtIsProcessedAtZeroWindow) {
    inject(seg().ack().seq(1).payload(4096));
    expect_tx(seg().ack().ack_no(4097).win(0));
    inject(seg().rst().seq(4097));
    expect_no_tx();
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(last_close, close_reason::reset_by_peer);
}

TEST_F(SmallReceiveBuffer, UrgentPointerIsProcessedAtZeroWindow) {
    inject(seg().ack().seq(1).payload(4096));
    expect_tx(seg().ack().ack_no(4097).win(0));
    inject(seg().ack().urg(5).seq(4097).payload("u"));
    expect_tx(seg().ack().ack_no(4097).win(0));
    expect_no_tx();
    EXPECT_EQ(conn->rcv().up, irs() + seq_len(4097 + 5));
    EXPECT_EQ(rcv_nxt(), 4097u);
}

// --- out of order: RFC 9293 3.10.7.4 seventh step, RFC 5681 4.2 ---

TEST_F(DataOutOfOrder, SegmentPastAHoleIsHeldAndDuplicateAckedAtOnce) {
    inject(seg().ack().seq(101).payload(pattern(100, 100)));
    expect_tx(seg().ack().ack_no(1));
    expect_no_tx();
    EXPECT_EQ(rcv_nxt(), 1u);
    EXPECT_EQ(take_events() & tcp_events::readable, 0);
    EXPECT_EQ(app_read(), "");
}

TEST_F(DataOutOfOrder, FillingTheHoleDeliversEverythingAndAcksAtOnce) {
    inject(seg().ack().seq(101).payload(pattern(100, 100)));
    expect_tx(seg().ack().ack_no(1));
    inject(seg().ack().seq(1).payload(pattern(0, 100)));
    expect_tx(seg().ack().ack_no(201));
    expect_no_tx();
    EXPECT_EQ(app_read(), pattern(0, 200));
}

TEST_F(DataOutOfOrder, SeveralHolesFilledInReverseOrder) {
    inject(seg().ack().seq(301).payload(pattern(300, 100)));
    inject(seg().ack().seq(201).payload(pattern(200, 100)));
    inject(seg().ack().seq(101).payload(pattern(100, 100)));
    for (int i = 0; i < 3; ++i) expect_tx(seg().ack().ack_no(1));
    inject(seg().ack().seq(1).payload(pattern(0, 100)));
    expect_tx(seg().ack().ack_no(401));
    expect_no_tx();
    EXPECT_EQ(app_read(), pattern(0, 400));
}

TEST_F(DataOutOfOrder, OverlapWithDeliveredDataIsTrimmed) {
    inject(seg().ack().seq(1).payload("abcdef"));
    inject(seg().ack().seq(4).payload("defghi"));
    expect_tx(seg().ack().ack_no(10));  // partly old: ACK at once
    expect_no_tx();
    EXPECT_EQ(app_read(), "abcdefghi");
}

TEST_F(DataOutOfOrder, OverlappingOutOfOrderSegmentsMerge) {
    inject(seg().ack().seq(11).payload(pattern(10, 10)));
    inject(seg().ack().seq(15).payload(pattern(14, 16)));
    expect_tx(seg().ack().ack_no(1));
    expect_tx(seg().ack().ack_no(1));
    inject(seg().ack().seq(1).payload(pattern(0, 12)));
    expect_tx(seg().ack().ack_no(31));
    expect_no_tx();
    EXPECT_EQ(app_read(), pattern(0, 30));
}

TEST_F(DataOutOfOrder, ExactDuplicateIsAckedAtOnceAndNotDeliveredTwice) {
    inject(seg().ack().seq(1).payload("hello"));
    advance(40ms);
    expect_tx(seg().ack().ack_no(6));
    EXPECT_EQ(app_read(), "hello");
    take_events();
    inject(seg().ack().seq(1).payload("hello"));
    expect_tx(seg().ack().ack_no(6));
    expect_no_tx();
    EXPECT_EQ(app_read(), "");
    EXPECT_EQ(take_events() & tcp_events::readable, 0);
}

TEST_F(DataOutOfOrder, DuplicateOfHeldOutOfOrderDataIsNotDeliveredTwice) {
    inject(seg().ack().seq(101).payload(pattern(100, 100)));
    inject(seg().ack().seq(101).payload(pattern(100, 100)));
    expect_tx(seg().ack().ack_no(1));
    expect_tx(seg().ack().ack_no(1));
    inject(seg().ack().seq(1).payload(pattern(0, 100)));
    expect_tx(seg().ack().ack_no(201));
    EXPECT_EQ(app_read(), pattern(0, 200));
}

// Where out-of-order copies overlap, the first stays (as Linux): the stream
// is the same whichever order the copies came in.
TEST_F(DataOutOfOrder, OverlappingOutOfOrderDataKeepsTheFirstCopy) {
    inject(seg().ack().seq(11).payload("XXXXXXXXXX"));             // 10..20
    inject(seg().ack().seq(15).payload("yyyyyyyyyyyyyyyy"));       // 14..30: 14..20 already held
    inject(seg().ack().seq(29).payload("zzzz"));                   // 28..32: 28..30 already held
    for (int i = 0; i < 3; ++i) expect_tx(seg().ack().ack_no(1));
    inject(seg().ack().seq(1).payload(pattern(0, 10)));
    expect_tx(seg().ack().ack_no(33));
    expect_no_tx();
    EXPECT_EQ(app_read(), pattern(0, 10) + "XXXXXXXXXX" + "yyyyyyyyyy" + "zz");
}

// In-order data that reaches into held out-of-order data does not overwrite
// it either: the first copy of every octet is the one delivered.
TEST_F(DataOutOfOrder, InOrderDataOverlappingHeldDataKeepsTheHeldCopy) {
    inject(seg().ack().seq(11).payload("XXXXX"));  // 10..15
    expect_tx(seg().ack().ack_no(1));
    inject(seg().ack().seq(1).payload(std::string(20, 'a')));  // 0..20
    expect_tx(seg().ack().ack_no(21));
    expect_no_tx();
    EXPECT_EQ(app_read(), std::string(10, 'a') + "XXXXX" + std::string(5, 'a'));
}

// Holes are held from the lcore's range pool, not a fixed few per
// connection: 40 holes in one window, none dropped.
TEST_F(DataOutOfOrder, FortyHolesAreAllHeld) {
    for (uint32_t k = 0; k < 40; ++k) {
        uint32_t at = 100 * (2 * k + 1);
        inject(seg().ack().seq(1 + at).payload(pattern(at, 100)));
        expect_tx(seg().ack().ack_no(1));
    }
    EXPECT_EQ(out.counters.dropped(tcp_drop::ooo_overflow), 0u);
    for (uint32_t k = 0; k < 40; ++k) {  // the holes filled, lowest first: each ACK moves past the next held range
        inject(seg().ack().seq(1 + 200 * k).payload(pattern(200 * k, 100)));
        expect_tx(seg().ack().ack_no(1 + 200 * k + 200));
    }
    expect_no_tx();
    EXPECT_EQ(app_read(), pattern(0, 8000));
}

TEST_F(EightOutOfOrderRanges, MoreHolesThanTheBoundDropTheExtraSegmentOnly) {
    for (uint32_t k = 0; k <= 8; ++k) {
        uint32_t at = 100 * (2 * k + 1);
        inject(seg().ack().seq(1 + at).payload(pattern(at, 100)));
        expect_tx(seg().ack().ack_no(1));  // held or not, ACKed at once
    }
    EXPECT_EQ(out.counters.dropped(tcp_drop::ooo_overflow), 1u);
    EXPECT_EQ(state(), tcp_state::established);
    // The peer retransmits everything: all of it is delivered.
    inject(seg().ack().seq(1).payload(pattern(0, 1800)));
    expect_tx(seg().ack().ack_no(1801));
    expect_no_tx();
    EXPECT_EQ(app_read(), pattern(0, 1800));
    expect_no_tx();  // 1800 bytes read is less than two segments: no update of its own
}

TEST_F(DataOutOfOrder, TenThousandOneByteHolesStayBoundedAndFast) {
    auto start = std::chrono::steady_clock::now();
    for (uint32_t k = 0; k < 10000; ++k) {
        uint32_t at = 2 * k + 1;  // every other byte, the first one missing
        inject(seg().ack().seq(1 + at).payload(pattern(at, 1)));
        expect_tx(seg().ack().ack_no(1));
    }
    EXPECT_EQ(out.counters.dropped(tcp_drop::ooo_overflow), 10000u - cfg.max_ooo_ranges);
    inject(seg().ack().seq(1).payload(pattern(0, 20000)));
    expect_tx(seg().ack().ack_no(20001));
    expect_no_tx();
    EXPECT_EQ(app_read(), pattern(0, 20000));
    expect_no_tx();  // the announced window is still above half the buffer: no update of its own
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_F(DataOutOfOrder, FinPastAHoleWaitsForTheHole) {
    inject(seg().ack().fin().seq(101).payload(pattern(100, 100)));
    expect_tx(seg().ack().ack_no(1));
    EXPECT_EQ(state(), tcp_state::established);
    EXPECT_EQ(take_events() & tcp_events::peer_closed, 0);
    inject(seg().ack().seq(1).payload(pattern(0, 100)));
    expect_tx(seg().ack().ack_no(202));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::close_wait);
    EXPECT_EQ(take_events(), tcp_events::readable | tcp_events::peer_closed);
    EXPECT_EQ(app_read(), pattern(0, 200));
}

TEST_F(DataOutOfOrder, BareFinPastAHoleWaitsForTheHole) {
    inject(seg().ack().fin().seq(101));
    expect_tx(seg().ack().ack_no(1));
    EXPECT_EQ(state(), tcp_state::established);
    inject(seg().ack().seq(1).payload(pattern(0, 100)));
    expect_tx(seg().ack().ack_no(102));
    EXPECT_EQ(state(), tcp_state::close_wait);
    EXPECT_EQ(app_read(), pattern(0, 100));
}

// --- delayed ACK: RFC 9293 3.8.6.3 ---

TEST_F(DelayedAck, OneSegmentIsAckedAfterExactlyTheDelay) {
    inject(seg().ack().seq(1).payload(100));
    expect_no_tx();
    advance(cfg.delayed_ack - 1ms);
    expect_no_tx();
    advance(1ms);
    expect_tx(seg().ack().seq(1).ack_no(101));
    expect_no_tx();
}

TEST_F(DelayedAck, DelayIsBelowHalfASecond) {
    EXPECT_LT(cfg.delayed_ack, std::chrono::milliseconds(500));
}

TEST_F(DataSendCustom, ConfiguredDelayedAckDelayIsHonoured) {
    cfg.delayed_ack = 200ms;
    passive_handshake();
    inject(seg().ack().seq(1).payload(100));
    advance(200ms - 1ms);
    expect_no_tx();
    advance(1ms);
    expect_tx(seg().ack().seq(1).ack_no(101));
    expect_no_tx();
}

TEST_F(DelayedAck, SecondFullSizedSegmentIsAckedAtOnce) {
    inject(seg().ack().seq(1).payload(full_segment));
    expect_no_tx();
    inject(seg().ack().seq(1 + full_segment).payload(full_segment));
    expect_tx(seg().ack().ack_no(1 + 2 * full_segment));
    expect_no_tx();
    advance(1s);
    expect_no_tx();  // the delayed-ACK timer was cancelled
}

TEST_F(DelayedAck, TimerIsNotRestartedByASecondSmallSegment) {
    inject(seg().ack().seq(1).payload(10));
    advance(30ms);
    inject(seg().ack().seq(11).payload(10));
    advance(10ms);
    expect_tx(seg().ack().ack_no(21));  // 40 ms after the first
    expect_no_tx();
}

TEST_F(DelayedAck, DataSentByTheApplicationCarriesTheAckAndCancelsTheTimer) {
    inject(seg().ack().seq(1).payload("question"));
    EXPECT_EQ(app_send("answer"), 6u);
    expect_tx(seg().ack().psh().seq(1).ack_no(9).payload("answer"));
    advance(cfg.delayed_ack);
    expect_no_tx();
    inject(seg().ack().seq(9).ack_no(7));
    expect_no_tx();
}

// --- URG: RFC 9293 3.8.5 (data inline, the pointer cannot do harm) ---

TEST_F(UrgentData, UrgentPointerZeroDeliversTheDataInline) {
    inject(seg().ack().urg(0).seq(1).payload("abc"));
    EXPECT_EQ(app_read(), "abc");
    advance(40ms);
    expect_tx(seg().ack().ack_no(4));
    EXPECT_EQ(state(), tcp_state::established);
}

TEST_F(UrgentData, UrgentPointerPastThePayloadDeliversTheDataInline) {
    inject(seg().ack().urg(100).seq(1).payload("abc"));
    inject(seg().ack().seq(4).payload("def"));
    EXPECT_EQ(app_read(), "abcdef");
    advance(40ms);
    expect_tx(seg().ack().ack_no(7));
}

TEST_F(UrgentData, UrgentPointerAtTheMaximumDeliversTheDataInline) {
    inject(seg().ack().urg(65535).seq(1).payload("abc"));
    EXPECT_EQ(app_read(), "abc");
    advance(40ms);
    expect_tx(seg().ack().ack_no(4));
    EXPECT_EQ(conn->rcv().up, irs() + seq_len(1 + 65535));
    EXPECT_EQ(state(), tcp_state::established);
}

TEST_F(UrgentData, UrgentWithoutPayloadIsHarmless) {
    inject(seg().ack().urg(65535).seq(1));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::established);
    EXPECT_EQ(rcv_nxt(), 1u);
}

// --- sending: RFC 9293 3.8.6.2.1, RFC 5681, RFC 6928 ---

TEST_F(DataSend, DataIsSegmentedAtThePeerMssMinusTimestamps) {
    EXPECT_EQ(app_send(3000), 3000u);
    expect_tx(seg().ack().seq(1).ack_no(1).len(full_segment));
    expect_tx(seg().ack().seq(1 + full_segment).len(full_segment));
    expect_tx(seg().ack().psh().seq(1 + 2 * full_segment).len(3000 - 2 * full_segment));
    expect_no_tx();
}

// RFC 9293 3.7.1, RFC 6691 2: at most three blocks fit beside timestamps,
// so at most their bytes come off the data.
TEST_F(DataSend, AtMostThreeSackBlocksBesideTimestampsTakeBytesOffTheSegment) {
    for (uint32_t hole = 0; hole < 4; ++hole) {
        inject(seg().ack().seq(101 + 200 * hole).payload(pattern(100 + 200 * hole, 100)));
        expect_tx(seg().ack().ack_no(1));
    }
    constexpr uint32_t with_three_blocks = full_segment - (4 + 3 * 8);
    EXPECT_EQ(app_send(with_three_blocks + 1), with_three_blocks + 1);
    expect_tx(seg().ack().seq(1).ack_no(1).len(with_three_blocks));
    expect_tx(seg().ack().psh().seq(1 + with_three_blocks).len(1));
    expect_no_tx();
}

TEST_F(DataSendCustom, SmallPeerMssSegmentsAccordingly) {
    passive_handshake({.mss = 536});
    EXPECT_EQ(app_send(1200), 1200u);
    expect_tx(seg().ack().seq(1).len(524));
    expect_tx(seg().ack().seq(525).len(524));
    expect_tx(seg().ack().psh().seq(1049).len(152));
    expect_no_tx();
}

// RFC 9293 3.7.1: the MSS counts no option, so while out-of-order data is
// held the SACK blocks on our data segments come out of their payload:
// every IP datagram stays within the peer's MSS + 40 (1500 here).
TEST_F(DataSend, SackBlocksOnDataSegmentsShortenThePayload) {
    inject(seg().ack().seq(101).payload(10));  // one range held: one SACK block
    expect_tx(seg().ack().ack_no(1).sack({{101, 111}}));
    inject(seg().ack().seq(201).payload(10));  // two
    expect_tx(seg().ack().ack_no(1).sack({{201, 211}, {101, 111}}));
    constexpr uint32_t two_blocks = 4 + 2 * 8;
    EXPECT_EQ(app_send(2 * full_segment), 2 * full_segment);
    expect_tx(seg().ack().seq(1).ack_no(1).len(full_segment - two_blocks).sack({{201, 211}, {101, 111}}));
    expect_tx(seg().ack().seq(1 + full_segment - two_blocks).len(full_segment - two_blocks));
    expect_tx(seg().ack().psh().seq(1 + 2 * (full_segment - two_blocks)).len(2 * two_blocks));
    expect_no_tx();
    inject(seg().ack().seq(1).payload(100));  // the first hole filled: one range left
    expect_tx(seg().ack().ack_no(111).sack({{201, 211}}));
    inject(seg().ack().seq(111).payload(90));  // and the second: no SACK blocks
    expect_tx(seg().ack().ack_no(211));
}

TEST_F(DataSend, InitialCongestionWindowIsTenSegments) {
    inject(seg().ack().seq(1).ack_no(1).win(65535));  // 8 MB scaled: only cwnd limits
    expect_no_tx();
    EXPECT_EQ(conn->cwnd(), 10 * full_segment);
    EXPECT_EQ(app_send(30000), 30000u);
    for (uint32_t i = 0; i < 10; ++i) expect_tx(seg().ack().seq(1 + i * full_segment).len(full_segment));
    expect_no_tx();
    EXPECT_EQ(snd_nxt(), 1 + 10 * full_segment);
}

TEST_F(DataSend, AckAdvancesSndUnaFreesTheBufferAndLetsMoreGo) {
    inject(seg().ack().seq(1).ack_no(1).win(65535));
    EXPECT_EQ(app_send(30000), 30000u);
    for (uint32_t i = 0; i < 10; ++i) expect_tx(seg().ack().len(full_segment));
    take_events();
    uint32_t space = conn->send_space();
    // Slow start (RFC 5681 3.1): one ACK of two segments grows cwnd by one MSS,
    // so three segments go: two replacing the acked ones and one more.
    inject(seg().ack().seq(1).ack_no(1 + 2 * full_segment).win(65535));
    EXPECT_EQ(snd_una(), 1 + 2 * full_segment);
    EXPECT_EQ(conn->send_space(), space + 2 * full_segment);
    EXPECT_TRUE(take_events() & tcp_events::writable);
    for (uint32_t i = 10; i < 13; ++i) expect_tx(seg().ack().seq(1 + i * full_segment).len(full_segment));
    expect_no_tx();
}

TEST_F(DataSendCustom, FullSendBufferAcceptsOnlyWhatFitsAndReportsWritableLater) {
    cfg.send_buffer = 4000;
    passive_handshake();
    EXPECT_EQ(app_send(5000), 4000u);
    expect_tx(seg().ack().len(full_segment));
    expect_tx(seg().ack().len(full_segment));
    expect_tx(seg().ack().psh().len(4000 - 2 * full_segment));
    EXPECT_EQ(app_send(10), 0u);
    EXPECT_EQ(take_events() & tcp_events::writable, 0);
    inject(seg().ack().seq(1).ack_no(1 + full_segment));
    EXPECT_TRUE(take_events() & tcp_events::writable);
    EXPECT_EQ(conn->send_space(), full_segment);
    expect_no_tx();
}

TEST_F(DataSend, NeverBeyondThePeersScaledWindow) {
    inject(seg().ack().seq(1).ack_no(1).win(10));  // 10 << 7 = 1280 bytes
    EXPECT_EQ(conn->snd().wnd, 1280u);
    EXPECT_EQ(app_send(3000), 3000u);
    expect_tx(seg().ack().seq(1).len(1280));
    expect_no_tx();
    inject(seg().ack().seq(1).ack_no(1281).win(10));
    expect_tx(seg().ack().seq(1281).len(1280));
    expect_no_tx();
    inject(seg().ack().seq(1).ack_no(2561).win(10));
    expect_tx(seg().ack().psh().seq(2561).len(440));
    expect_no_tx();
}

// RFC 9293 3.10.7.4 fifth step: SND.WL1/SND.WL2 keep an old segment from
// setting an old window.
TEST_F(DataSend, OlderSegmentDoesNotSetAnOlderWindow) {
    inject(seg().ack().seq(101).payload(100).win(200));  // out of order, newer
    expect_tx(seg().ack().ack_no(1));
    EXPECT_EQ(conn->snd().wnd, 200u << 7);
    inject(seg().ack().seq(1).payload(100).win(50));  // sent earlier, arrives later
    expect_tx(seg().ack().ack_no(201));
    EXPECT_EQ(conn->snd().wnd, 200u << 7);
    EXPECT_EQ(conn->snd().wl1, irs() + seq_len(101));
}

TEST_F(DataSend, NewerSegmentUpdatesTheWindowEvenWhenSmaller) {
    inject(seg().ack().seq(1).payload(10).win(50));
    EXPECT_EQ(conn->snd().wnd, 50u << 7);
    EXPECT_EQ(conn->snd().wl1, irs() + seq_len(1));
    advance(40ms);
    expect_tx(seg().ack().ack_no(11));
}

// RFC 9293 3.10.7.4: "If the ACK acks something not yet sent (SEG.ACK >
// SND.NXT), then send an ACK, drop the segment, and return."
TEST_F(DataSend, AckOfUnsentDataIsAnsweredAndIgnored) {
    EXPECT_EQ(app_send("data"), 4u);
    expect_tx(seg().ack().psh().seq(1).payload("data"));
    inject(seg().ack().seq(1).ack_no(1000).payload("zz"));
    expect_tx(seg().ack().seq(5).ack_no(1));
    expect_no_tx();
    EXPECT_EQ(snd_una(), 1u);
    EXPECT_EQ(rcv_nxt(), 1u);
    EXPECT_EQ(out.counters.dropped(tcp_drop::bad_ack), 1u);
    inject(seg().ack().seq(1).ack_no(5));
    EXPECT_EQ(snd_una(), 5u);
    expect_no_tx();
}

// RFC 5961 5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.NXT].
TEST_F(DataSend, AckFarBelowSndUnaIsAnsweredAndIgnored) {
    uint32_t max_wnd = conn->snd().max_wnd;
    inject(seg().ack().seq(1).ack_no(snd_una() - max_wnd - 1).payload("zz"));
    expect_tx(seg().ack().seq(1).ack_no(1));
    expect_no_tx();
    EXPECT_EQ(rcv_nxt(), 1u);
    EXPECT_EQ(out.counters.dropped(tcp_drop::bad_ack), 1u);
}

TEST_F(DataSend, OldAckWithinMaxSndWndIsAcceptedWithItsData) {
    uint32_t max_wnd = conn->snd().max_wnd;
    inject(seg().ack().seq(1).ack_no(snd_una() - max_wnd).payload("zz"));
    EXPECT_EQ(rcv_nxt(), 3u);
    EXPECT_EQ(snd_una(), 1u);
    advance(40ms);
    expect_tx(seg().ack().ack_no(3));
    expect_no_tx();
}

// RFC 9293 3.8.6.2.1: with data in flight, a usable window smaller than an
// MSS (and than half the largest window) does not produce a tiny segment.
TEST_F(UnscaledPeer, SenderSillyWindowAvoidanceHoldsATinySegment) {
    inject(seg().ack().seq(1).ack_no(1).win(2000));
    EXPECT_EQ(app_send(5000), 5000u);
    expect_tx(seg().ack().seq(1).len(full_segment));
    expect_no_tx();  // 552 bytes usable while 1448 are in flight: wait
    inject(seg().ack().seq(1).ack_no(1 + full_segment).win(2000));
    expect_tx(seg().ack().seq(1 + full_segment).len(full_segment));
    expect_no_tx();
}

TEST_F(UnscaledPeer, ShortSegmentGoesWhenNothingIsInFlight) {
    inject(seg().ack().seq(1).ack_no(1).win(500));
    EXPECT_EQ(app_send(2000), 2000u);
    expect_tx(seg().ack().seq(1).len(500));  // nothing in flight: no ACK would come to wake us
    expect_no_tx();
}

// RFC 9293 3.10.7.4 takes SEG.WND only from a segment newer than the one
// that set SND.WND (SND.WL1, SND.WL2). The peer's resent old data that
// acknowledges new octets offers its window as of now, from its ACK: taken
// as Linux takes it (tcp_may_update_window: an ACK that moves SND.UNA
// updates the window). Kept, the stale offer was read from the new SND.UNA
// and octets went past the peer's right edge (seen at 10 % loss: the peer
// dropped them, and the connection waited 200 ms for the RTO).
TEST_F(UnscaledPeer, AnOldSegmentAcknowledgingNewDataUpdatesTheWindow) {
    inject(seg().ack().seq(101).ack_no(1).win(1000).payload(100));  // the peer's first segment is lost
    sent.clear();
    EXPECT_EQ(app_send(3000), 3000u);
    expect_tx(seg().ack().seq(1).len(1000));
    expect_no_tx();
    inject(seg().ack().seq(1).ack_no(1001).win(0).payload(100));  // resent, filling the hole: window shut
    while (!sent.empty()) {
        EXPECT_EQ(sent.front().data.size(), 0u) << "no octet past the peer's window";
        sent.pop_front();
    }
}

// --- zero window: RFC 9293 3.8.6.1 ---

TEST_F(ZeroWindowProbe, ClosedWindowGetsAOneByteProbeAfterTheRto) {
    inject(seg().ack().seq(1).ack_no(1).win(0));
    EXPECT_EQ(app_send(100), 100u);
    expect_no_tx();
    duration rto = conn->rtt().rto();
    advance(rto - 1ms);
    expect_no_tx();
    advance(1ms);
    expect_tx(seg().ack().seq(1).ack_no(1).len(1));
    expect_no_tx();
}

TEST_F(ZeroWindowProbe, ProbesBackOff) {
    inject(seg().ack().seq(1).ack_no(1).win(0));
    app_send(100);
    duration interval = conn->rtt().rto();
    for (int i = 0; i < 5; ++i) {
        advance(interval - 1ms);
        expect_no_tx();
        advance(1ms);
        expect_tx(seg().ack().seq(1).len(1));
        inject(seg().ack().seq(1).ack_no(1).win(0));
        expect_no_tx();
        interval *= 2;
    }
}

TEST_F(ZeroWindowProbe, AnsweredProbesKeepTheConnectionForMinutesBeyondTheGiveUpCount) {
    inject(seg().ack().seq(1).ack_no(1).win(0));
    app_send(100);
    time_point start = now;
    int probes = 0;
    duration interval = conn->rtt().rto();
    while (now - start < std::chrono::minutes(30)) {
        advance(interval);
        interval = std::min<duration>(2 * interval, cfg.rto_max);
        ASSERT_EQ(sent.size(), 1u) << "one probe per backed-off interval";
        expect_tx(seg().ack().seq(1).len(1));
        inject(seg().ack().seq(1).ack_no(1).win(0));
        expect_no_tx();
        ++probes;
    }
    EXPECT_GT(probes, 2 * cfg.max_retransmits);
    EXPECT_EQ(state(), tcp_state::established);
}

TEST_F(DataSendCustom, UnansweredZeroWindowProbesEndTheConnection) {
    cfg.max_retransmits = 3;
    passive_handshake();
    inject(seg().ack().seq(1).ack_no(1).win(0));
    app_send(100);
    advance(10s);
    for (int i = 0; i < 3; ++i) expect_tx(seg().ack().seq(1).len(1));
    expect_no_tx();
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(last_close, close_reason::retransmit_timeout);
}

TEST_F(ZeroWindowProbe, OpeningWindowResumesTransmissionFromSndUna) {
    inject(seg().ack().seq(1).ack_no(1).win(0));
    EXPECT_EQ(app_send(pattern(0, 100)), 100u);
    duration interval = conn->rtt().rto();
    for (int i = 0; i < 4; ++i) {
        advance(interval);
        interval *= 2;
        expect_tx(seg().ack().seq(1).len(1));
        inject(seg().ack().seq(1).ack_no(1).win(0));  // the probe byte is not taken
    }
    inject(seg().ack().seq(1).ack_no(1).win(100));
    expect_tx(seg().ack().psh().seq(1).payload(pattern(0, 100)));
    expect_no_tx();
    // The retransmission timer is not left backed off by the persist phase.
    advance(conn->rtt().rto());
    expect_tx(seg().ack().psh().seq(1).len(100));
}

TEST_F(ZeroWindowProbe, ProbeByteTakenByThePeerAdvancesSndUna) {
    inject(seg().ack().seq(1).ack_no(1).win(0));
    EXPECT_EQ(app_send(pattern(0, 100)), 100u);
    advance(conn->rtt().rto());
    expect_tx(seg().ack().seq(1).payload(pattern(0, 1)));
    inject(seg().ack().seq(1).ack_no(2).win(0));
    EXPECT_EQ(snd_una(), 2u);
    expect_no_tx();
    inject(seg().ack().seq(1).ack_no(2).win(200));
    expect_tx(seg().ack().psh().seq(2).payload(pattern(1, 99)));
    expect_no_tx();
}

TEST_F(ZeroWindowProbe, WindowClosingWithEverythingAckedStartsProbing) {
    EXPECT_EQ(app_send(100), 100u);
    expect_tx(seg().ack().psh().seq(1).len(100));
    inject(seg().ack().seq(1).ack_no(101).win(0));
    expect_no_tx();
    EXPECT_EQ(app_send(50), 50u);
    expect_no_tx();
    advance(conn->rtt().rto());
    expect_tx(seg().ack().seq(101).len(1));
    expect_no_tx();
}

// The peer shrinks its window to zero with data in flight (RFC 9293 3.8.6.2.1
// discourages it; the sender must cope): the timeout still sends a byte, and
// answered probes keep the connection, as in the ordinary persist case.
TEST_F(ZeroWindowProbe, WindowShrunkToZeroUnderDataInFlightIsProbed) {
    conn->set_nodelay(true);  // two short segments in flight
    EXPECT_EQ(app_send(100), 100u);
    expect_tx(seg().ack().psh().seq(1).len(100));
    EXPECT_EQ(app_send(50), 50u);
    expect_tx(seg().ack().psh().seq(101).len(50));
    inject(seg().ack().seq(1).ack_no(101).win(0));
    expect_no_tx();
    time_point start = now;
    while (now - start < std::chrono::minutes(30)) {
        advance(cfg.rto_max);  // whatever the backoff, at least one byte per rto_max
        ASSERT_GE(sent.size(), 1u) << "a byte at SND.UNA per backed-off interval";
        while (sent.size() > 1) expect_tx(seg().ack().seq(101).len(1));
        expect_tx(seg().ack().seq(101).len(1));
        inject(seg().ack().seq(1).ack_no(101).win(0));
        expect_no_tx();
    }
    EXPECT_EQ(state(), tcp_state::established);
    inject(seg().ack().seq(1).ack_no(101).win(10));
    expect_tx(seg().ack().psh().seq(101).len(50));
    expect_no_tx();
}

}  // namespace
}  // namespace fptcp::tcp::testing
