#include <set>
#include <string_view>

#include <gtest/gtest.h>

#include "wire/parse_error.hh"

namespace fptcp::wire {
namespace {

TEST(ParseError, EveryReasonHasADistinctName) {
    std::set<std::string_view> names;
    for (int i = 0; i < static_cast<int>(parse_error::count_); ++i) {
        std::string_view n = to_string(static_cast<parse_error>(i));
        EXPECT_FALSE(n.empty());
        EXPECT_NE(n, "invalid") << i;
        names.insert(n);
    }
    EXPECT_EQ(names.size(), static_cast<std::size_t>(parse_error::count_));
    EXPECT_EQ(to_string(parse_error::none), "none");
    EXPECT_EQ(to_string(parse_error::bad_tcp_checksum), "bad_tcp_checksum");
}

TEST(ParseError, CountIsNotAReason) { EXPECT_EQ(to_string(parse_error::count_), "invalid"); }

}  // namespace
}  // namespace fptcp::wire
