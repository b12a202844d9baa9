// history_test.cpp: the fixed ring behind top's graphs.
#include <catch2/catch.hpp>

#include "view/history.h"

using ts::view::History;

TEST_CASE("History keeps the newest samples, oldest first, in fixed memory", "[history]") {
  History h(3);
  CHECK(h.empty());
  CHECK(h.back() == 0);
  CHECK(h.values().empty());
  h.push(1);
  h.push(2);
  CHECK(h.values() == std::vector<double>{1, 2});
  h.push(3);
  h.push(4);  // drops 1
  CHECK(h.size() == 3);
  CHECK(h.capacity() == 3);
  CHECK(h.values() == std::vector<double>{2, 3, 4});
  CHECK(h.back() == 4);
  CHECK(h.max() == 4);
  for (int i = 0; i < 1000; i++) h.push(i % 7);
  CHECK(h.size() == 3);
  CHECK(h.values() == std::vector<double>{3, 4, 5});  // 997 % 7, 998 % 7, 999 % 7
  History one(0);  // at least one sample
  one.push(9);
  one.push(8);
  CHECK(one.values() == std::vector<double>{8});
}
