#pragma once
// expect_error<fufi::UsageError>([&] { ... }, {"needle", ...}): the call must throw E (or a subclass), and
// its message must contain every needle. Anything else, including no exception at all, fails the test.
#include <gtest/gtest.h>

#include <exception>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "fufi/core/error.h"

namespace fufi::test {

template <typename E, typename Fn>
void expect_error(Fn&& fn, const std::vector<std::string>& needles = {}) {
  try {
    fn();
  } catch (const E& e) {
    std::string message;
    if constexpr (std::is_base_of_v<::fufi::Error, E>) message = e.message();
    else message = e.what();
    for (const auto& n : needles) EXPECT_NE(message.find(n), std::string::npos) << "'" << n << "' not in: " << message;
    return;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected " << typeid(E).name() << ", got " << typeid(e).name() << ": " << e.what();
    return;
  }
  ADD_FAILURE() << "expected " << typeid(E).name() << ", nothing was thrown";
}

// One needle. (Not a std::string overload: {"a", "b"} would then also match std::string's iterator pair.)
template <typename E, typename Fn>
void expect_error(Fn&& fn, const char* needle) {
  expect_error<E>(std::forward<Fn>(fn), std::vector<std::string>{needle});
}

}  // namespace fufi::test
