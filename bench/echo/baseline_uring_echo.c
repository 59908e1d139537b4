/*
 * baseline_uring_echo: a second baseline for the benchmark, a hand-written single-thread echo
 * server on io_uring (liburing), as issue 12 asks: multishot accept, multishot recv into a
 * provided-buffer ring, and the echo written back with send(2) straight from the received
 * buffer (the buffer goes back to the ring at once). Only when the socket cannot take it all is
 * the rest copied to the connection and sent with IORING_OP_SEND; data received meanwhile is
 * appended and goes after it (back-pressure like the epoll baseline's: bounded by what the peer
 * sends before it reads).
 *
 * Ring: SINGLE_ISSUER | DEFER_TASKRUN when the kernel has them (else plain). Buffers: 1024 of
 * 4 KiB. Memory per idle connection: the struct (24 bytes) plus the kernel's socket; a waiting
 * recv pins no buffer.
 *
 * Usage: baseline_uring_echo [--port N]   (port 0 = ephemeral; default 0)
 * Prints "listening on 127.0.0.1:PORT" and runs until SIGINT/SIGTERM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

enum { NBUFS = 1024, BUFSZ = 4096, BGID = 0 };

struct conn {
  int fd;
  int closing;     /* the recv ended for good: free once no send is in flight */
  int sending;     /* an IORING_OP_SEND of `out` is in flight */
  unsigned out_len;
  char* out;       /* bytes not yet sent (malloc'd; only when the socket was full) */
};

/* user_data: the conn pointer, low bit set for its send; 0 for the listener's accept. */
#define TAG_SEND 1u

static volatile sig_atomic_t g_stop = 0;
static void on_signal(int sig) {
  (void)sig;
  g_stop = 1;
}

static struct io_uring ring;
static struct io_uring_buf_ring* br;
static char* bufs;

static struct io_uring_sqe* sqe_get(void) {
  struct io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  while (sqe == NULL) {
    io_uring_submit(&ring);
    sqe = io_uring_get_sqe(&ring);
  }
  return sqe;
}

static void arm_recv(struct conn* c) {
  struct io_uring_sqe* sqe = sqe_get();
  io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = BGID;
  io_uring_sqe_set_data(sqe, c);
}

static void arm_accept(int lfd) {
  struct io_uring_sqe* sqe = sqe_get();
  io_uring_prep_multishot_accept(sqe, lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, 0);
}

static void recycle(unsigned bid) {
  io_uring_buf_ring_add(br, bufs + (size_t)bid * BUFSZ, BUFSZ, (unsigned short)bid, io_uring_buf_ring_mask(NBUFS), 0);
  io_uring_buf_ring_advance(br, 1);
}

static void submit_send(struct conn* c) {
  struct io_uring_sqe* sqe = sqe_get();
  io_uring_prep_send(sqe, c->fd, c->out, c->out_len, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)c | TAG_SEND);
  c->sending = 1;
}

static void conn_free(struct conn* c) {
  close(c->fd);
  free(c->out);
  free(c);
}

/* Queues `n` bytes after what is already waiting to be sent. */
static int append_out(struct conn* c, const char* p, unsigned n) {
  char* nb = realloc(c->out, c->out_len + n);
  if (nb == NULL) return -1;
  memcpy(nb + c->out_len, p, n);
  c->out = nb;
  c->out_len += n;
  return 0;
}

static void on_recv(struct conn* c, int res, unsigned flags) {
  if (flags & IORING_CQE_F_BUFFER) {
    unsigned bid = flags >> IORING_CQE_BUFFER_SHIFT;
    if (res > 0 && !c->closing) {
      const char* p = bufs + (size_t)bid * BUFSZ;
      unsigned n = (unsigned)res, off = 0;
      if (!c->sending) {
        while (off < n) {
          ssize_t w = send(c->fd, p + off, n - off, MSG_NOSIGNAL | MSG_DONTWAIT);
          if (w > 0) off += (unsigned)w;
          else if (w < 0 && errno == EINTR) continue;
          else break;
        }
      }
      if (off < n) {
        if (append_out(c, p + off, n - off) < 0) c->closing = 1;
        else if (!c->sending) submit_send(c);
      }
    }
    recycle(bid);
  }
  if (flags & IORING_CQE_F_MORE) return;
  if (res == -ENOBUFS || (res > 0 && !c->closing)) {
    arm_recv(c); /* the multishot recv ended without an error of the connection */
    return;
  }
  c->closing = 1; /* EOF or an error */
  if (!c->sending) conn_free(c);
}

static void on_send(struct conn* c, int res) {
  c->sending = 0;
  if (res < 0) {
    c->closing = 1;
  } else {
    memmove(c->out, c->out + res, c->out_len - (unsigned)res);
    c->out_len -= (unsigned)res;
    if (c->out_len > 0 && !c->closing) {
      submit_send(c);
      return;
    }
  }
  if (c->closing) conn_free(c);
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

  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (lfd < 0 || bind(lfd, (struct sockaddr*)&addr, sizeof addr) < 0 || listen(lfd, 4096) < 0) {
    perror("socket/bind/listen");
    return 1;
  }
  socklen_t len = sizeof addr;
  getsockname(lfd, (struct sockaddr*)&addr, &len);

  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  int rc = io_uring_queue_init_params(4096, &ring, &p);
  if (rc == -EINVAL) {
    memset(&p, 0, sizeof p);
    rc = io_uring_queue_init_params(4096, &ring, &p);
  }
  if (rc < 0) {
    fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-rc));
    return 1;
  }
  br = mmap(NULL, NBUFS * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  bufs = mmap(NULL, (size_t)NBUFS * BUFSZ, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (br == MAP_FAILED || bufs == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  struct io_uring_buf_reg reg;
  memset(&reg, 0, sizeof reg);
  reg.ring_addr = (unsigned long)br;
  reg.ring_entries = NBUFS;
  reg.bgid = BGID;
  if ((rc = io_uring_register_buf_ring(&ring, &reg, 0)) < 0) {
    fprintf(stderr, "io_uring_register_buf_ring: %s\n", strerror(-rc));
    return 1;
  }
  io_uring_buf_ring_init(br);
  for (unsigned i = 0; i < NBUFS; ++i) {
    io_uring_buf_ring_add(br, bufs + (size_t)i * BUFSZ, BUFSZ, (unsigned short)i, io_uring_buf_ring_mask(NBUFS), (int)i);
  }
  io_uring_buf_ring_advance(br, NBUFS);

  printf("listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));
  fflush(stdout);
  arm_accept(lfd);
  while (!g_stop) {
    /* A bounded wait: a signal does not always interrupt io_uring_enter (under valgrind it
     * does not), so g_stop is looked at every 100 ms at least. */
    struct __kernel_timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
    struct io_uring_cqe* first = NULL;
    rc = io_uring_submit_and_wait_timeout(&ring, &first, 1, &ts, NULL);
    if (rc < 0 && rc != -EINTR && rc != -ETIME && rc != -EBUSY && rc != -EAGAIN) {
      fprintf(stderr, "io_uring_submit_and_wait: %s\n", strerror(-rc));
      return 1;
    }
    struct io_uring_cqe* cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      ++seen;
      uint64_t ud = io_uring_cqe_get_data64(cqe);
      if (ud == 0) {
        if (cqe->res >= 0) {
          struct conn* c = calloc(1, sizeof *c);
          if (c == NULL) {
            close(cqe->res);
          } else {
            c->fd = cqe->res;
            (void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            arm_recv(c);
          }
        }
        if (!(cqe->flags & IORING_CQE_F_MORE)) arm_accept(lfd);
      } else if (ud & TAG_SEND) {
        on_send((struct conn*)(uintptr_t)(ud & ~(uint64_t)TAG_SEND), cqe->res);
      } else {
        on_recv((struct conn*)(uintptr_t)ud, cqe->res, cqe->flags);
      }
    }
    io_uring_cq_advance(&ring, seen);
  }
  /* Exit: the kernel closes the ring and the sockets with the process. */
  return 0;
}
