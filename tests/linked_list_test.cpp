#include "eddy/detail/linked_list.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace {

struct TagA {};
struct TagB {};

// A node that can sit in two lists at once, one per hook.
struct Node : eddy::detail::ListHook<TagA>, eddy::detail::ListHook<TagB> {
  explicit Node(int v) : value(v) {}
  int value;
};

using ListA = eddy::detail::IntrusiveList<Node, TagA>;
using ListB = eddy::detail::IntrusiveList<Node, TagB>;

std::vector<int> values(const ListA& list) {
  std::vector<int> out;
  for (Node* n = list.front(); n != nullptr; n = ListA::next(*n)) out.push_back(n->value);
  return out;
}

bool linked_a(const Node& n) { return static_cast<const eddy::detail::ListHook<TagA>&>(n).is_linked(); }

}  // namespace

TEST(IntrusiveList, StartsEmpty) {
  ListA list;
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(list.size(), 0u);
  EXPECT_EQ(list.front(), nullptr);
  EXPECT_EQ(list.back(), nullptr);
  EXPECT_EQ(list.pop_front(), nullptr);
  EXPECT_EQ(list.pop_back(), nullptr);
}

TEST(IntrusiveList, PushFrontAndBackKeepOrder) {
  Node a(1), b(2), c(3);
  ListA list;
  list.push_back(b);
  list.push_front(a);
  list.push_back(c);
  EXPECT_EQ(values(list), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(list.size(), 3u);
  EXPECT_EQ(list.front(), &a);
  EXPECT_EQ(list.back(), &c);
  EXPECT_TRUE(linked_a(a));
  while (list.pop_front() != nullptr) {
  }
}

TEST(IntrusiveList, PopFrontAndBackUnlink) {
  Node a(1), b(2), c(3);
  ListA list;
  list.push_back(a);
  list.push_back(b);
  list.push_back(c);
  EXPECT_EQ(list.pop_front(), &a);
  EXPECT_FALSE(linked_a(a));
  EXPECT_EQ(list.pop_back(), &c);
  EXPECT_FALSE(linked_a(c));
  EXPECT_EQ(values(list), (std::vector<int>{2}));
  EXPECT_EQ(list.pop_back(), &b);
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(list.front(), nullptr);
  EXPECT_EQ(list.back(), nullptr);
}

TEST(IntrusiveList, RemoveHeadMiddleAndTail) {
  Node n0(0), n1(1), n2(2), n3(3), n4(4);
  ListA list;
  for (Node* n : {&n0, &n1, &n2, &n3, &n4}) list.push_back(*n);
  EXPECT_TRUE(list.remove(n2));
  EXPECT_EQ(values(list), (std::vector<int>{0, 1, 3, 4}));
  EXPECT_TRUE(list.remove(n0));
  EXPECT_EQ(values(list), (std::vector<int>{1, 3, 4}));
  EXPECT_EQ(list.front(), &n1);
  EXPECT_TRUE(list.remove(n4));
  EXPECT_EQ(values(list), (std::vector<int>{1, 3}));
  EXPECT_EQ(list.back(), &n3);
  EXPECT_EQ(list.size(), 2u);
  // Walking backwards from the tail must agree with the forward walk.
  EXPECT_EQ(list.pop_back(), &n3);
  EXPECT_EQ(list.pop_back(), &n1);
  EXPECT_TRUE(list.empty());
}

TEST(IntrusiveList, RemovingAnUnlinkedNodeIsANoOp) {
  Node a(1), b(2), stray(9);
  ListA list;
  list.push_back(a);
  list.push_back(b);
  EXPECT_FALSE(list.remove(stray));
  EXPECT_EQ(list.size(), 2u);
  EXPECT_EQ(values(list), (std::vector<int>{1, 2}));
  // Removing twice: the second time the node is no longer linked.
  EXPECT_TRUE(list.remove(a));
  EXPECT_FALSE(list.remove(a));
  EXPECT_EQ(list.size(), 1u);
  EXPECT_EQ(values(list), (std::vector<int>{2}));
  list.pop_front();
}

TEST(IntrusiveList, NodeCanBeLinkedAgainAfterRemoval) {
  Node a(1), b(2);
  ListA list;
  list.push_back(a);
  list.push_back(b);
  list.remove(a);
  list.push_back(a);
  EXPECT_EQ(values(list), (std::vector<int>{2, 1}));
  list.pop_front();
  list.pop_front();
}

TEST(IntrusiveList, TwoHooksAreIndependent) {
  Node a(1), b(2);
  ListA la;
  ListB lb;
  la.push_back(a);
  la.push_back(b);
  lb.push_back(b);
  lb.push_back(a);
  EXPECT_EQ(la.front(), &a);
  EXPECT_EQ(lb.front(), &b);
  EXPECT_TRUE(la.remove(a));
  // Still linked in B.
  EXPECT_EQ(lb.size(), 2u);
  EXPECT_EQ(lb.back(), &a);
  EXPECT_TRUE(lb.remove(a));
  EXPECT_FALSE(lb.remove(a));
  EXPECT_EQ(la.pop_front(), &b);
  EXPECT_EQ(lb.pop_front(), &b);
}
