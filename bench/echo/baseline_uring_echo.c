/*
 * baseline_uring_echo: the io_uring baseline of the echo benchmark, a hand-written single-thread
 * completion-mode echo server written with liburing, as a competent C programmer would:
 *   - one ring, IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN (retried without them on EINVAL);
 *   - a multishot accept (re-armed when the kernel ends it; EMFILE/ENFILE: re-armed after a
 *     100 ms ring timeout, no spinning);
 *   - per connection one multishot recv into a provided buffer ring shared by all connections,
 *     so a connection waiting for data pins no buffer;
 *   - each received buffer is echoed by IORING_OP_SEND straight from the provided buffer and
 *     given back to the ring when its send completes. One send per connection is in flight at
 *     a time, the others wait in a per-connection FIFO, so bytes go back in order; a short
 *     send resubmits the rest;
 *   - when the buffer ring runs dry (ENOBUFS ends a multishot recv), the connection waits in a
 *     list and its recv is re-armed as soon as a send gives a buffer back (back-pressure).
 *
 * Connection state: a 24-byte struct (the FIFO array is allocated only while something waits
 * to be sent), whose address is the user_data of its operations.
 *
 * Usage: baseline_uring_echo [--port N] [--buf BYTES]   (port 0 = ephemeral; default 0)
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

#define NBUFS 4096 /* provided buffers (a power of two) */
#define BGID 0
enum op { OP_ACCEPT = 1, OP_RECV = 2, OP_SEND = 3, OP_TIMER = 4 };

struct pend {
  uint16_t bid;
  uint32_t off, len;
};

struct conn {
  int fd;
  uint16_t head, count, cap; /* FIFO of received buffers; q[head] is being sent */
  uint8_t recv_armed, dead, waiting_bufs;
  struct pend* q;
};

static struct io_uring ring;
static struct io_uring_buf_ring* bufring;
static char* bufs;
static unsigned buf_size = 4096;
static int listen_fd;
static struct conn** starved; /* connections whose recv waits for a buffer */
static size_t nstarved, starved_cap;
static volatile sig_atomic_t g_stop = 0;

static void on_signal(int sig) {
  (void)sig;
  g_stop = 1;
}

static struct io_uring_sqe* sqe_get(void) {
  struct io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  if (sqe == NULL) { /* SQ full: flush and retry */
    io_uring_submit(&ring);
    sqe = io_uring_get_sqe(&ring);
  }
  return sqe;
}

static uint64_t tag(void* p, enum op op) { return (uint64_t)(uintptr_t)p | (uint64_t)op; }

static void arm_accept(void) {
  struct io_uring_sqe* sqe = sqe_get();
  io_uring_prep_multishot_accept(sqe, listen_fd, NULL, NULL, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, tag(NULL, OP_ACCEPT));
}

static void arm_recv(struct conn* c) {
  struct io_uring_sqe* sqe = sqe_get();
  io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = BGID;
  io_uring_sqe_set_data64(sqe, tag(c, OP_RECV));
  c->recv_armed = 1;
}

static void submit_send(struct conn* c) {
  struct pend* p = &c->q[c->head];
  struct io_uring_sqe* sqe = sqe_get();
  io_uring_prep_send(sqe, c->fd, bufs + (size_t)p->bid * buf_size + p->off, p->len - p->off, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, tag(c, OP_SEND));
}

static void give_back(uint16_t bid) {
  io_uring_buf_ring_add(bufring, bufs + (size_t)bid * buf_size, buf_size, bid, io_uring_buf_ring_mask(NBUFS), 0);
  io_uring_buf_ring_advance(bufring, 1);
}

static void maybe_free(struct conn* c) {
  if (!c->dead || c->recv_armed || c->count > 0 || c->waiting_bufs) return;
  close(c->fd);
  free(c->q);
  free(c);
}

/* Marks the connection dead: drops what waits to be sent (the send in flight, if any, returns
 * its own buffer) and makes a still-armed recv end. */
static void kill_conn(struct conn* c, int send_in_flight) {
  if (!c->dead) {
    c->dead = 1;
    if (c->recv_armed) shutdown(c->fd, SHUT_RDWR);
  }
  while (c->count > (send_in_flight ? 1 : 0)) {
    uint16_t last = (uint16_t)((c->head + c->count - 1) % c->cap);
    give_back(c->q[last].bid);
    c->count--;
  }
  maybe_free(c);
}

static void push(struct conn* c, uint16_t bid, uint32_t len) {
  if (c->count == c->cap) {
    uint16_t cap = c->cap ? (uint16_t)(c->cap * 2) : 4;
    struct pend* q = malloc(sizeof *q * cap);
    for (uint16_t i = 0; i < c->count; i++) q[i] = c->q[(c->head + i) % c->cap];
    free(c->q);
    c->q = q;
    c->head = 0;
    c->cap = cap;
  }
  c->q[(c->head + c->count) % c->cap] = (struct pend){bid, 0, len};
  if (++c->count == 1) submit_send(c);
}

static void on_recv(struct conn* c, int res, unsigned flags) {
  if (!(flags & IORING_CQE_F_MORE)) c->recv_armed = 0;
  if (res > 0 && (flags & IORING_CQE_F_BUFFER) && !c->dead) {
    push(c, (uint16_t)(flags >> IORING_CQE_BUFFER_SHIFT), (uint32_t)res);
  } else if (res > 0 && (flags & IORING_CQE_F_BUFFER)) {
    give_back((uint16_t)(flags >> IORING_CQE_BUFFER_SHIFT));
  }
  if (c->recv_armed) return;
  if (res == -ENOBUFS && !c->dead) { /* re-armed when a send gives a buffer back */
    if (nstarved == starved_cap) {
      starved_cap = starved_cap ? starved_cap * 2 : 64;
      starved = realloc(starved, sizeof *starved * starved_cap);
    }
    starved[nstarved++] = c;
    c->waiting_bufs = 1;
  } else if (res > 0 && !c->dead) {
    arm_recv(c); /* the kernel ended the multishot (e.g. CQ pressure): start it again */
  } else {
    kill_conn(c, c->count > 0); /* EOF or error */
  }
}

static void on_send(struct conn* c, int res) {
  struct pend* p = &c->q[c->head];
  if (res < 0) {
    give_back(p->bid);
    c->head = (uint16_t)((c->head + 1) % c->cap);
    c->count--;
    kill_conn(c, 0);
    return;
  }
  p->off += (uint32_t)res;
  if (p->off < p->len && !c->dead) {
    submit_send(c);
    return;
  }
  give_back(p->bid);
  c->head = (uint16_t)((c->head + 1) % c->cap);
  c->count--;
  while (nstarved > 0) { /* a buffer is back: let a starved connection receive again */
    struct conn* s = starved[--nstarved];
    s->waiting_bufs = 0;
    if (s->dead) {
      maybe_free(s);
      continue;
    }
    arm_recv(s);
    break;
  }
  if (c->dead) maybe_free(c);
  else if (c->count > 0) submit_send(c);
}

static void on_accept(int res, unsigned flags) {
  if (res >= 0) {
    int one = 1;
    setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct conn* c = calloc(1, sizeof *c);
    c->fd = res;
    arm_recv(c);
  }
  if (flags & IORING_CQE_F_MORE) return;
  if (res == -EMFILE || res == -ENFILE || res == -ENOBUFS || res == -ENOMEM) {
    static struct __kernel_timespec ts = {.tv_sec = 0, .tv_nsec = 100000000};
    struct io_uring_sqe* sqe = sqe_get();
    io_uring_prep_timeout(sqe, &ts, 0, 0);
    io_uring_sqe_set_data64(sqe, tag(NULL, OP_TIMER));
  } else {
    arm_accept();
  }
}

static int setup_ring(void) {
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL |
            IORING_SETUP_COOP_TASKRUN | IORING_SETUP_CQSIZE;
  p.cq_entries = 16384;
  int r = io_uring_queue_init_params(4096, &ring, &p);
  if (r == -EINVAL) {
    memset(&p, 0, sizeof p);
    p.flags = IORING_SETUP_CQSIZE;
    p.cq_entries = 16384;
    r = io_uring_queue_init_params(4096, &ring, &p);
  }
  if (r < 0) return r;
  size_t ring_bytes = sizeof(struct io_uring_buf) * NBUFS;
  bufring = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (bufring == MAP_FAILED) return -errno;
  struct io_uring_buf_reg reg;
  memset(&reg, 0, sizeof reg);
  reg.ring_addr = (uint64_t)(uintptr_t)bufring;
  reg.ring_entries = NBUFS;
  reg.bgid = BGID;
  r = io_uring_register_buf_ring(&ring, &reg, 0);
  if (r < 0) return r;
  bufs = malloc((size_t)NBUFS * buf_size);
  if (bufs == NULL) return -ENOMEM;
  io_uring_buf_ring_init(bufring);
  for (unsigned i = 0; i < NBUFS; i++) {
    io_uring_buf_ring_add(bufring, bufs + (size_t)i * buf_size, buf_size, (uint16_t)i, io_uring_buf_ring_mask(NBUFS), (int)i);
  }
  io_uring_buf_ring_advance(bufring, NBUFS);
  return 0;
}

int main(int argc, char** argv) {
  int port = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--port") == 0) port = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--buf") == 0) buf_size = (unsigned)atoi(argv[i + 1]);
    else {
      fprintf(stderr, "usage: %s [--port N] [--buf BYTES]\n", argv[0]);
      return 2;
    }
  }
  if (buf_size == 0 || buf_size > (1u << 20)) {
    fprintf(stderr, "--buf must be 1..1048576\n");
    return 2;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: the wait returns -EINTR */
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof addr;
  if (bind(listen_fd, (struct sockaddr*)&addr, sizeof addr) < 0 || listen(listen_fd, 4096) < 0 ||
      getsockname(listen_fd, (struct sockaddr*)&addr, &alen) < 0) {
    perror("listen");
    return 1;
  }
  int r = setup_ring();
  if (r < 0) {
    fprintf(stderr, "io_uring setup failed: %s\n", strerror(-r));
    return 1;
  }
  printf("listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));
  fflush(stdout);

  arm_accept();
  while (!g_stop) {
    r = io_uring_submit_and_wait(&ring, 1);
    if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) {
      fprintf(stderr, "io_uring_submit_and_wait: %s\n", strerror(-r));
      return 1;
    }
    struct io_uring_cqe* cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      uint64_t ud = cqe->user_data;
      struct conn* c = (struct conn*)(uintptr_t)(ud & ~(uint64_t)7);
      switch ((enum op)(ud & 7)) {
        case OP_ACCEPT: on_accept(cqe->res, cqe->flags); break;
        case OP_RECV: on_recv(c, cqe->res, cqe->flags); break;
        case OP_SEND: on_send(c, cqe->res); break;
        case OP_TIMER: arm_accept(); break;
      }
      seen++;
    }
    io_uring_cq_advance(&ring, seen);
  }
  io_uring_queue_exit(&ring);
  return 0;
}
