// An intrusive doubly-linked list. A node type derives from ListHook<Tag> once per list it can
// be in (the Tag tells the hooks apart); the list never allocates and never owns its nodes
// (owners that need ownership, like RegistrationSet, keep a reference per linked node).
//
// Not thread-safe: every list in eddy is guarded by its owner's mutex.
#pragma once

#include <cassert>
#include <cstddef>

namespace eddy::detail {

template <class Tag>
struct ListHook {
  ListHook* prev_in_list = nullptr;
  ListHook* next_in_list = nullptr;
  // Kept apart from the pointers so that "is linked" is answered in O(1) without knowing the
  // list (a waiter asks it, under its owner's lock, when it is destroyed).
  bool linked_in_list = false;

  bool is_linked() const noexcept { return linked_in_list; }
};

template <class T, class Tag>
class IntrusiveList {
  using Hook = ListHook<Tag>;

 public:
  IntrusiveList() noexcept = default;
  IntrusiveList(const IntrusiveList&) = delete;
  IntrusiveList& operator=(const IntrusiveList&) = delete;

  bool empty() const noexcept { return head_ == nullptr; }
  std::size_t size() const noexcept { return size_; }

  void push_front(T& node) noexcept {
    Hook& h = node;
    assert(!h.linked_in_list);
    h.prev_in_list = nullptr;
    h.next_in_list = head_;
    if (head_) head_->prev_in_list = &h;
    else tail_ = &h;
    head_ = &h;
    h.linked_in_list = true;
    ++size_;
  }

  void push_back(T& node) noexcept {
    Hook& h = node;
    assert(!h.linked_in_list);
    h.next_in_list = nullptr;
    h.prev_in_list = tail_;
    if (tail_) tail_->next_in_list = &h;
    else head_ = &h;
    tail_ = &h;
    h.linked_in_list = true;
    ++size_;
  }

  // Unlinks `node`; a node that is not linked is left alone. Returns whether it was linked.
  // The caller guarantees that a linked node is linked into *this* list.
  bool remove(T& node) noexcept {
    Hook& h = node;
    if (!h.linked_in_list) return false;
    if (h.prev_in_list) h.prev_in_list->next_in_list = h.next_in_list;
    else head_ = h.next_in_list;
    if (h.next_in_list) h.next_in_list->prev_in_list = h.prev_in_list;
    else tail_ = h.prev_in_list;
    h.prev_in_list = h.next_in_list = nullptr;
    h.linked_in_list = false;
    --size_;
    return true;
  }

  T* front() const noexcept { return head_ ? static_cast<T*>(head_) : nullptr; }
  T* back() const noexcept { return tail_ ? static_cast<T*>(tail_) : nullptr; }

  T* pop_front() noexcept {
    T* n = front();
    if (n) remove(*n);
    return n;
  }

  T* pop_back() noexcept {
    T* n = back();
    if (n) remove(*n);
    return n;
  }

  // The node after `node` in the list, or null.
  static T* next(T& node) noexcept {
    Hook& h = node;
    return h.next_in_list ? static_cast<T*>(h.next_in_list) : nullptr;
  }

 private:
  Hook* head_ = nullptr;
  Hook* tail_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace eddy::detail
