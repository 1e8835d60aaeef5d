// SHA-256 against the FIPS 180-4 example vectors (NIST CSRC "Examples with
// intermediate values"), so the sim's byte-exact checks rest on a known hash.

#include "support/sha256.hh"

#include <string>

#include <gtest/gtest.h>

namespace {

using fptcp::testing::sha256;

TEST(Sha256, EmptyMessage) {
    EXPECT_EQ(sha256().hex_digest(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, OneBlockAbc) {
    EXPECT_EQ(sha256().update("abc").hex_digest(),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, TwoBlock448BitMessage) {
    EXPECT_EQ(sha256().update("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").hex_digest(),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, Message896Bits) {
    EXPECT_EQ(sha256()
                  .update("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmn"
                          "opqrsmnopqrstnopqrstu")
                  .hex_digest(),
              "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha256, OneMillionA) {
    sha256 h;
    std::string chunk(1000, 'a');
    for (int i = 0; i < 1000; ++i) h.update(chunk);
    EXPECT_EQ(h.hex_digest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, SplitUpdatesEqualOneUpdate) {
    std::string msg(200, 'x');
    for (size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<char>(i * 7);
    sha256 split;
    split.update(std::string_view(msg).substr(0, 63)).update(std::string_view(msg).substr(63, 2)).update(
        std::string_view(msg).substr(65));
    EXPECT_EQ(split.hex_digest(), sha256().update(msg).hex_digest());
    EXPECT_NE(sha256().update(msg.substr(1)).hex_digest(), sha256().update(msg).hex_digest());
}

}  // namespace
