#include "eddy/result.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstddef>
#include <memory>
#include <string>
#include <system_error>
#include <type_traits>

#include "eddy/error.hpp"

// Result<T>: a value or an error_code. For trivial T it is a 16-byte trivially copyable pair
// (value or errno, and a category pointer that is null for a value), which is what keeps every
// read and write's Result<std::size_t> in two registers; for other T it keeps the error apart.

namespace {

using eddy::Result;

static_assert(std::is_trivially_copyable_v<Result<std::size_t>>);
static_assert(std::is_trivially_destructible_v<Result<int>>);
static_assert(sizeof(Result<std::size_t>) == 16);
static_assert(!std::is_trivially_copyable_v<Result<std::string>>);

// A category of our own: the error must come back with this category, not system_category.
class TestCategory : public std::error_category {
 public:
  const char* name() const noexcept override { return "test"; }
  std::string message(int v) const override { return "test error " + std::to_string(v); }
};
const TestCategory kTestCategory;

}  // namespace

TEST(Result, TrivialValue) {
  Result<std::size_t> r = std::size_t{42};
  ASSERT_TRUE(r);
  EXPECT_TRUE(r.has_value());
  EXPECT_EQ(*r, 42u);
  EXPECT_FALSE(r.error()) << "a value carries an empty error_code";
  Result<std::size_t> copy = r;
  EXPECT_EQ(*copy, 42u);
}

TEST(Result, TrivialZeroIsAValueNotAnError) {
  Result<int> r = 0;
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 0);
}

TEST(Result, TrivialErrorKeepsValueAndCategory) {
  Result<std::size_t> r = std::error_code(ECONNRESET, std::system_category());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::error_code(ECONNRESET, std::system_category()));
  EXPECT_EQ(r.error(), std::errc::connection_reset);

  Result<std::size_t> own = std::error_code(7, kTestCategory);
  ASSERT_FALSE(own);
  EXPECT_EQ(&own.error().category(), &kTestCategory);
  EXPECT_EQ(own.error().value(), 7);

  Result<int> from_enum = eddy::Error::shutdown;
  ASSERT_FALSE(from_enum);
  EXPECT_EQ(from_enum.error(), eddy::Error::shutdown);
}

TEST(Result, TrivialCopiesAndAssignmentsSwitchBetweenValueAndError) {
  Result<std::size_t> a = std::size_t{1};
  Result<std::size_t> b = std::error_code(EPIPE, std::system_category());
  a = b;
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error(), std::errc::broken_pipe);
  b = Result<std::size_t>(std::size_t{9});
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, 9u);
}

TEST(Result, ValueOfAnErrorThrowsTheError) {
  Result<std::size_t> r = std::error_code(EAGAIN, std::system_category());
  try {
    (void)r.value();
    FAIL() << "value() of an error must throw";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::error_code(EAGAIN, std::system_category()));
  }
}

TEST(Result, NonTrivialValueIsMovedAndDestroyed) {
  auto owned = std::make_shared<int>(5);
  std::weak_ptr<int> watch = owned;
  {
    Result<std::shared_ptr<int>> r = std::move(owned);
    ASSERT_TRUE(r);
    EXPECT_EQ(**r, 5);
    Result<std::shared_ptr<int>> moved = std::move(r);
    EXPECT_EQ(**moved, 5);
    EXPECT_FALSE(watch.expired());
  }
  EXPECT_TRUE(watch.expired()) << "destroying the Result destroys the value it holds";
  Result<std::shared_ptr<int>> err = std::error_code(ENOENT, std::system_category());
  ASSERT_FALSE(err);
  EXPECT_EQ(err.error(), std::errc::no_such_file_or_directory);
}

TEST(Result, VoidResult) {
  Result<void> ok;
  EXPECT_TRUE(ok);
  Result<void> bad = std::error_code(EINVAL, std::system_category());
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error(), std::errc::invalid_argument);
}
