package io.deliverycheck.workloads;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.history.OpType;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A sender process {@code c<i>}, the same for every system: sends one logical message at a time
 * through its {@link SendLink}; an attempt that is not {@code ok} and may be retried (an {@code info},
 * a 503 "not committed", a broker's nack) is tried again with the same id and key, attempt+1, after
 * {@code 100 ms * attempt}, up to {@code maxAttempts}. At most one op is open; the process stays busy
 * (not free for a new slot) until the message's last attempt completed.
 */
final class Sender {
  private final WorkloadContext c;
  private final SendLink link;
  final String process;
  private final AtomicBoolean busy = new AtomicBoolean();

  Sender(WorkloadContext c, SendLink link, int index) {
    this.c = c;
    this.link = link;
    this.process = WorkloadContext.senderProcess(index);
  }

  /** Claims the process for {@code m}; false when it is busy with another message. */
  boolean offer(PlannedSend m) {
    if (!busy.compareAndSet(false, true)) {
      return false;
    }
    link.execute(() -> attempt(m, 1));
    return true;
  }

  boolean busy() {
    return busy.get();
  }

  private void attempt(PlannedSend m, int attempt) {
    if (c.closed()) {
      busy.set(false);
      return;
    }
    String node = link.node(m, attempt);
    ObjectNode value = m.value(attempt);
    Op inv = c.rec.invoke(process, "send", value, node);
    CompletionStage<Outcome> sent;
    try {
      sent = link.send(node, m, value, attempt);
    } catch (RuntimeException e) {
      sent = CompletableFuture.completedFuture(Outcome.indeterminate(e));
    }
    sent.whenComplete((result, error) -> done(m, attempt, inv, value,
        error == null && result != null ? result : Outcome.indeterminate(error != null ? error
            : new IllegalStateException("the client completed a send without an outcome"))));
  }

  private void done(PlannedSend m, int attempt, Op inv, ObjectNode value, Outcome o) {
    if (c.closed()) {
      busy.set(false);
      return;
    }
    ObjectNode done = value.deepCopy();
    if (o.msg() != null) {
      done.put("msg", o.msg());
    }
    c.rec.complete(inv, o.type(), done, o.error());
    switch (o.type()) {
      case OK -> {
        c.sendsOk.increment();
        c.tracker.sendOk(m.id(), m.to());
      }
      case FAIL -> c.sendsFail.increment();
      default -> c.sendsInfo.increment();
    }
    if (o.type() != OpType.OK && o.retry() && attempt < c.config.maxAttempts()) {
      link.schedule(100L * attempt, () -> attempt(m, attempt + 1));
    } else {
      busy.set(false);
    }
  }
}
