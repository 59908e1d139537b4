/*
 * baseline_epoll_echo: the benchmark's baseline, a hand-written single-thread epoll echo server.
 *
 * It is meant to be what a competent C programmer writes for this job, not a strawman:
 *   - one epoll instance, edge-triggered (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET), each
 *     connection registered once and never modified (no epoll_ctl per message);
 *   - non-blocking accept4 (SOCK_NONBLOCK | SOCK_CLOEXEC) in a loop until EAGAIN, with TCP_NODELAY;
 *   - per connection a small inline buffer; read until EAGAIN or a short read, writing back what
 *     was read; a partial write keeps the rest pending and the connection stops reading until
 *     EPOLLOUT drains it (back-pressure: the server never buffers more than one buffer per peer);
 *   - EMFILE/ENFILE on accept: the listening socket is left ready and accept is retried after a
 *     short epoll timeout (no spinning, no dropped connections).
 *
 * The connection's state lives in one calloc'd struct whose address is the epoll token, so an
 * event costs no lookup. Memory per idle connection: the struct (BUF_SIZE + 16 bytes) plus the
 * kernel's socket.
 *
 * Usage: baseline_epoll_echo [--port N] [--buf BYTES]   (port 0 = ephemeral; default 0)
 * Prints "listening on 127.0.0.1:PORT" and runs until SIGINT/SIGTERM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef BUF_SIZE
#define BUF_SIZE 4096
#endif

struct conn {
  int fd;
  unsigned pending_off; /* first byte of buf not yet written back */
  unsigned pending_len; /* bytes of buf not yet written back (0: reading) */
  char buf[BUF_SIZE];
};

static volatile sig_atomic_t g_stop = 0;
static void on_signal(int sig) {
  (void)sig;
  g_stop = 1;
}

static void conn_close(struct conn* c) {
  close(c->fd); /* closing removes it from the epoll set */
  free(c);
}

/* Writes back what is pending. Returns 0 when drained, 1 when the socket is full, -1 on error. */
static int flush_pending(struct conn* c) {
  while (c->pending_len > 0) {
    ssize_t n = write(c->fd, c->buf + c->pending_off, c->pending_len);
    if (n > 0) {
      c->pending_off += (unsigned)n;
      c->pending_len -= (unsigned)n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      return 1;
    } else {
      return -1;
    }
  }
  c->pending_off = 0;
  return 0;
}

/* Echoes until the socket would block (either way). Returns -1 when the connection must close.
 * `hup`: the peer has shut down its side, so read until EOF rather than stopping at a short read
 * (no further edge would come for the EOF). */
static int serve(struct conn* c, int hup) {
  int r = flush_pending(c);
  if (r != 0) return r < 0 ? -1 : 0; /* still blocked on write: wait for EPOLLOUT */
  for (;;) {
    ssize_t n = read(c->fd, c->buf, sizeof c->buf);
    if (n > 0) {
      c->pending_len = (unsigned)n;
      r = flush_pending(c);
      if (r < 0) return -1;
      if (r > 0) return 0;
      /* A short read means the socket is drained: with edge-triggered epoll we may stop here
       * and wait for the next edge (saves the read that would return EAGAIN). */
      if ((size_t)n < sizeof c->buf && !hup) return 0;
    } else if (n == 0) {
      return -1; /* EOF: the peer closed; nothing left to echo */
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN) {
      return 0;
    } else {
      return -1;
    }
  }
}

/* Accepts until EAGAIN. Returns 1 when out of descriptors (retry later), else 0. */
static int accept_all(int ep, int lfd) {
  for (;;) {
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) return 1;
      return 0; /* EAGAIN, or a transient error: wait for the next edge */
    }
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct conn* c = malloc(sizeof *c);
    if (c == NULL) {
      close(fd);
      continue;
    }
    c->fd = fd;
    c->pending_off = 0;
    c->pending_len = 0;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
      conn_close(c);
      continue;
    }
    /* Data may already be waiting; the edge for it is reported on the first epoll_wait anyway,
     * since registration checks the current state. */
  }
}

int main(int argc, char** argv) {
  int port = 0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      port = atoi(argv[++i]);
    } else {
      fprintf(stderr, "usage: %s [--port N]\n", argv[0]);
      return 2;
    }
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (lfd < 0) {
    perror("socket");
    return 1;
  }
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, (struct sockaddr*)&addr, sizeof addr) < 0 || listen(lfd, 4096) < 0) {
    perror("bind/listen");
    return 1;
  }
  socklen_t len = sizeof addr;
  getsockname(lfd, (struct sockaddr*)&addr, &len);
  printf("listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));
  fflush(stdout);

  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) {
    perror("epoll_create1");
    return 1;
  }
  /* The listener's token is NULL; connections' tokens are their struct conn. */
  struct epoll_event lev = {.events = EPOLLIN | EPOLLET, .data.ptr = NULL};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev) < 0) {
    perror("epoll_ctl");
    return 1;
  }

  enum { MAX_EVENTS = 1024 };
  static struct epoll_event events[MAX_EVENTS];
  int accept_blocked = 0; /* out of fds: retry accept on a timer instead of on an edge */
  while (!g_stop) {
    int n = epoll_wait(ep, events, MAX_EVENTS, accept_blocked ? 100 : -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("epoll_wait");
      return 1;
    }
    if (accept_blocked) accept_blocked = accept_all(ep, lfd);
    for (int i = 0; i < n; ++i) {
      struct conn* c = events[i].data.ptr;
      if (c == NULL) {
        accept_blocked = accept_all(ep, lfd);
        continue;
      }
      if (events[i].events & EPOLLERR) {
        conn_close(c);
        continue;
      }
      /* EPOLLRDHUP / EPOLLHUP: read still returns the remaining bytes, then 0. */
      if (serve(c, (events[i].events & (EPOLLRDHUP | EPOLLHUP)) != 0) < 0) conn_close(c);
    }
  }
  close(ep);
  close(lfd);
  return 0;
}
