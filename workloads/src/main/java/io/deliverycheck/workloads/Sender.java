package io.deliverycheck.workloads;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.history.OpType;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A sender process {@code c<i>}: sends one logical message at a time with {@code POST /messages};
 * an {@code info} (timeout, lost connection, 5xx) or a 503 "not committed" is retried with the same
 * id and key, attempt+1, at the next node, up to {@code maxAttempts}. At most one op is open; the
 * process stays busy (not free for a new slot) until the message's last attempt completed.
 * Everything after {@link #offer} runs on the process's context.
 */
final class Sender {
  private final Clients c;
  private final Context ctx;
  final String process;
  private final AtomicBoolean busy = new AtomicBoolean();

  Sender(Clients c, Context ctx, int index) {
    this.c = c;
    this.ctx = ctx;
    this.process = "c" + index;
  }

  /** Claims the process for {@code m}; false when it is busy with another message. */
  boolean offer(PlannedSend m) {
    if (!busy.compareAndSet(false, true)) {
      return false;
    }
    ctx.runOnContext(v -> attempt(m, 1));
    return true;
  }

  boolean busy() {
    return busy.get();
  }

  private void attempt(PlannedSend m, int attempt) {
    if (c.closed) {
      busy.set(false);
      return;
    }
    String node = c.nodes.get((m.nodeChoice() + attempt - 1) % c.nodes.size());
    ObjectNode value = m.value(attempt);
    Op inv = c.rec.invoke(process, "send", value, node);
    post(node, value).onComplete(ar -> {
      Outcome o = ar.succeeded() ? ar.result() : Outcome.indeterminate(ar.cause());
      if (c.closed) {
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
        c.vertx.setTimer(100L * attempt, t -> attempt(m, attempt + 1));
      } else {
        busy.set(false);
      }
    });
  }

  /** POSTs the message; the future never fails: errors become {@code info} outcomes. */
  private io.vertx.core.Future<Outcome> post(String node, ObjectNode value) {
    Promise<Outcome> p = Promise.promise();
    long timer = c.vertx.setTimer(c.timeoutMillis(),
        t -> p.tryComplete(new Outcome(OpType.INFO, "timeout after " + c.timeoutMillis() + " ms", null, true)));
    RequestOptions ro = new RequestOptions().setMethod(HttpMethod.POST)
        .setAbsoluteURI(c.url(node, "/messages"))
        .setConnectTimeout(c.timeoutMillis())
        .setIdleTimeout(c.timeoutMillis())
        .putHeader("Content-Type", "application/json");
    if (c.config.token() != null) {
      ro.putHeader("Authorization", "Bearer " + c.config.token());
    }
    c.http.request(ro)
        .compose(req -> req.send(value.toString()))
        .compose(resp -> resp.body().map(b -> Outcome.of(resp.statusCode(), b.toString())))
        .onComplete(ar -> {
          c.vertx.cancelTimer(timer);
          p.tryComplete(ar.succeeded() ? ar.result() : Outcome.indeterminate(ar.cause()));
        });
    return p.future();
  }
}
